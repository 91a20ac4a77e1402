using LlmDataDist.Generators.Parsing;

namespace LlmDataDist.Generators.Tests;

public class TokenizerTests
{
    private static List<Token> Tokens(string text) => Tokenizer.Tokenize(text).Tokens;

    private static Token Single(List<Token> tokens, string text) => tokens.Single(t => t.Text == text);

    [Fact]
    public void Chinese_doxygen_block_comment_rides_on_the_next_token()
    {
        var tokens = Tokens("/**\n * @brief 初始化LLM-DataDist\n * @param [in] options 初始化选项\n */\nStatus Initialize();\n");

        Assert.Equal("@brief 初始化LLM-DataDist\n@param [in] options 初始化选项", Single(tokens, "Status").Doc);
        Assert.Null(Single(tokens, "Initialize").Doc);
    }

    [Fact]
    public void Triple_slash_lines_in_any_language_join_into_one_doc()
    {
        var tokens = Tokens("/// 集群角色\n/// Роль кластера — role of a cluster\nenum class LlmRole { kPrompt };\n");

        Assert.Equal("集群角色\nРоль кластера — role of a cluster", Single(tokens, "enum").Doc);
    }

    [Fact]
    public void Plain_comments_are_not_docs_and_do_not_detach_a_doc_from_its_declaration()
    {
        var tokens = Tokens("// 普通注释\nint a;\n/* 块注释 */\nint b;\n/** 文档 */\n// 中间的普通注释\nint c;\n");

        var ints = tokens.Where(t => t.Text == "int").ToList();
        Assert.Null(ints[0].Doc);
        Assert.Null(ints[1].Doc);
        Assert.Equal("文档", ints[2].Doc);
    }

    [Fact]
    public void Preprocessor_lines_produce_no_tokens_but_defined_names_are_remembered()
    {
        var (tokens, macros) = Tokenizer.Tokenize(
            "#ifndef GUARD_H\n#define GUARD_H\n#ifdef FUNC_VISIBILITY\n#define ASCEND_FUNC_VISIBILITY __attribute__((visibility(\"default\")))\n"
            + "#else\n#define ASCEND_FUNC_VISIBILITY\n#endif\n#include \"external/ge_common/ge_api_error_codes.h\"\nint x;\n#endif  // GUARD_H\n");

        Assert.Equal(["int", "x", ";", ""], tokens.Select(t => t.Text));
        Assert.Contains("GUARD_H", macros);
        Assert.Contains("ASCEND_FUNC_VISIBILITY", macros);
        Assert.DoesNotContain("FUNC_VISIBILITY", macros);
    }

    [Fact]
    public void Continued_directive_lines_keep_later_line_numbers_right()
    {
        var tokens = Tokens("#define LONG_MACRO(a) \\\n  do { (a); } \\\n  while (0)\nint x;\n");

        var x = Single(tokens, "x");
        Assert.Equal(3, x.Line);
        Assert.Equal(4, x.Column);
    }

    [Fact]
    public void Hex_literal_with_unsigned_suffix_is_one_number_token()
    {
        var tokens = Tokens("constexpr Status LLM_WAIT_PROC_TIMEOUT = 0x5010B001U;");

        var number = Assert.Single(tokens, t => t.Kind == TokenKind.Number);
        Assert.Equal("0x5010B001U", number.Text);
    }

    [Fact]
    public void String_literal_is_one_token_without_quotes_and_scope_operator_is_one_punct()
    {
        var tokens = Tokens("constexpr const char OPTION_DEVICE_ID[] = \"llm.DeviceId\"; using ge::DT_FLOAT;");

        var text = Assert.Single(tokens, t => t.Kind == TokenKind.String);
        Assert.Equal("llm.DeviceId", text.Text);
        Assert.Contains(tokens, t => t.Kind == TokenKind.Punct && t.Text == "::");
    }

    [Fact]
    public void Lines_and_columns_are_zero_based_and_count_utf16_units_after_chinese_text()
    {
        var tokens = Tokens("/** 注释 */ int a;\r\n  中文 b;\n");

        var a = Single(tokens, "a");
        Assert.Equal((0, 14), (a.Line, a.Column));
        var b = Single(tokens, "b");
        Assert.Equal((1, 5), (b.Line, b.Column));
    }

    [Fact]
    public void Unterminated_comment_and_string_end_the_text_without_error()
    {
        var tokens = Tokens("int a = \"open\nint b; /* never closed");

        Assert.Equal(TokenKind.End, tokens[^1].Kind);
        Assert.Contains(tokens, t => t.Text == "b");
    }
}
