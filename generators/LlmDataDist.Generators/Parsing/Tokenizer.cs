using System.Collections.Generic;
using System.Text;

namespace LlmDataDist.Generators.Parsing
{
    /// <summary>
    /// Splits the C++ subset of CANN headers into tokens. Comments are dropped except doc comments
    /// (<c>/** */</c>, <c>///</c>), which ride on the next token. Preprocessor lines are dropped too, but the names
    /// they <c>#define</c> are kept so that visibility macros can be skipped where a type name is expected.
    /// </summary>
    internal sealed class Tokenizer
    {
        private static readonly string[] TwoCharPuncts = { "::", "->", "<=", ">=", "==", "!=", "&&", "||", "<<", "++", "--" };

        private readonly string _text;
        private readonly List<Token> _tokens = new();
        private readonly HashSet<string> _macros = new();
        private int _pos;
        private int _line;
        private int _lineStart;
        private string? _pendingDoc;

        private Tokenizer(string text) => _text = text;

        public static (List<Token> Tokens, HashSet<string> Macros) Tokenize(string text)
        {
            var tokenizer = new Tokenizer(text);
            tokenizer.Run();
            return (tokenizer._tokens, tokenizer._macros);
        }

        private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

        private void Run()
        {
            var atLineStart = true;
            // Every branch advances _pos, so the loop is bounded by the text length.
            while (_pos < _text.Length)
            {
                var c = Peek();
                if (c == '\n')
                {
                    NewLine();
                    atLineStart = true;
                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    _pos++;
                    continue;
                }

                if (c == '#' && atLineStart)
                {
                    Preprocessor();
                    continue;
                }

                atLineStart = false;
                if (c == '/' && Peek(1) == '/')
                {
                    LineComment();
                }
                else if (c == '/' && Peek(1) == '*')
                {
                    BlockComment();
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    Word();
                }
                else if (char.IsDigit(c) || (c == '.' && char.IsDigit(Peek(1))))
                {
                    Number();
                }
                else if (c == '"' || c == '\'')
                {
                    Quoted(c);
                }
                else
                {
                    Punct();
                }
            }

            Add(TokenKind.End, string.Empty, _pos, 0);
        }

        private void NewLine()
        {
            _pos++;
            _line++;
            _lineStart = _pos;
        }

        private void Add(TokenKind kind, string text, int start, int length)
        {
            var line = _line;
            var column = start - _lineStart;
            _tokens.Add(new Token(kind, text, start, length, line, column < 0 ? 0 : column, _pendingDoc));
            _pendingDoc = null;
        }

        private void Preprocessor()
        {
            var content = new StringBuilder();
            // A directive ends at a newline that is not escaped by a trailing backslash.
            while (_pos < _text.Length && Peek() != '\n')
            {
                if (Peek() == '\\' && (Peek(1) == '\n' || (Peek(1) == '\r' && Peek(2) == '\n')))
                {
                    _pos += Peek(1) == '\r' ? 2 : 1;
                    NewLine();
                    content.Append(' ');
                    continue;
                }

                content.Append(Peek());
                _pos++;
            }

            var directive = content.ToString().Substring(1).Trim();
            if (directive.StartsWith("define", System.StringComparison.Ordinal))
            {
                var rest = directive.Substring("define".Length).TrimStart();
                var end = 0;
                while (end < rest.Length && (char.IsLetterOrDigit(rest[end]) || rest[end] == '_'))
                {
                    end++;
                }

                if (end > 0)
                {
                    _macros.Add(rest.Substring(0, end));
                }
            }
        }

        private void LineComment()
        {
            var isDoc = Peek(2) == '/' && Peek(3) != '/';
            var start = _pos + (isDoc ? 3 : 2);
            while (_pos < _text.Length && Peek() != '\n')
            {
                _pos++;
            }

            if (isDoc)
            {
                var line = _text.Substring(start, _pos - start).Trim();
                _pendingDoc = _pendingDoc is null ? line : _pendingDoc + "\n" + line;
            }
        }

        private void BlockComment()
        {
            var isDoc = Peek(2) == '*' && Peek(3) != '/';
            var start = _pos + 2;
            _pos += 2;
            while (_pos < _text.Length && !(Peek() == '*' && Peek(1) == '/'))
            {
                if (Peek() == '\n')
                {
                    NewLine();
                }
                else
                {
                    _pos++;
                }
            }

            var end = _pos;
            _pos = _pos < _text.Length ? _pos + 2 : _pos;
            if (isDoc)
            {
                _pendingDoc = CleanBlockDoc(_text.Substring(start + 1, System.Math.Max(0, end - start - 1)));
            }
        }

        private static string CleanBlockDoc(string body)
        {
            var lines = body.Replace("\r", string.Empty).Split('\n');
            var sb = new StringBuilder();
            foreach (var raw in lines)
            {
                var line = raw.Trim();
                if (line.StartsWith("*", System.StringComparison.Ordinal))
                {
                    line = line.Substring(1).Trim();
                }

                if (line.Length == 0)
                {
                    continue;
                }

                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }

                sb.Append(line);
            }

            return sb.ToString();
        }

        private void Word()
        {
            var start = _pos;
            while (_pos < _text.Length && (char.IsLetterOrDigit(Peek()) || Peek() == '_'))
            {
                _pos++;
            }

            Add(TokenKind.Identifier, _text.Substring(start, _pos - start), start, _pos - start);
        }

        private void Number()
        {
            var start = _pos;
            // Digits, hex digits, suffixes (U, L, f), digit separators and exponents are all one token.
            while (_pos < _text.Length && (char.IsLetterOrDigit(Peek()) || Peek() == '.' || Peek() == '\''))
            {
                _pos++;
            }

            Add(TokenKind.Number, _text.Substring(start, _pos - start), start, _pos - start);
        }

        private void Quoted(char quote)
        {
            var start = _pos;
            _pos++;
            var value = new StringBuilder();
            while (_pos < _text.Length && Peek() != quote && Peek() != '\n')
            {
                if (Peek() == '\\' && _pos + 1 < _text.Length)
                {
                    value.Append(Peek(1));
                    _pos += 2;
                    continue;
                }

                value.Append(Peek());
                _pos++;
            }

            if (Peek() == quote)
            {
                _pos++;
            }

            Add(quote == '"' ? TokenKind.String : TokenKind.Char, value.ToString(), start, _pos - start);
        }

        private void Punct()
        {
            var start = _pos;
            foreach (var two in TwoCharPuncts)
            {
                if (Peek() == two[0] && Peek(1) == two[1])
                {
                    _pos += 2;
                    Add(TokenKind.Punct, two, start, 2);
                    return;
                }
            }

            _pos++;
            Add(TokenKind.Punct, _text[start].ToString(), start, 1);
        }
    }
}
