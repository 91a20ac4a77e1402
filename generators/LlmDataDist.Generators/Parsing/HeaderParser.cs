using System.Collections.Generic;
using System.Linq;
using System.Text;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Parsing
{
    /// <summary>
    /// Recursive-descent reader of the C++ subset that CANN headers use: namespaces (named, nested, anonymous),
    /// constants, aliases and using-declarations, enums, structs with default member initializers, and one class
    /// with public members. Anything else is skipped with an LLMDD0001 warning; the parser never throws on
    /// malformed input and every loop consumes at least one token per turn.
    /// </summary>
    internal sealed class HeaderParser
    {
        private static readonly HashSet<string> Specifiers = new()
        {
            "inline", "static", "virtual", "explicit", "extern", "friend", "mutable", "volatile", "constexpr", "typename",
            "struct", "class", "enum", "signed", "unsigned", "__attribute__",
        };

        private readonly string _path;
        private readonly List<Token> _tokens;
        private readonly HashSet<string> _macros;
        private readonly List<SpecDiagnostic> _diagnostics = new();
        private readonly List<RawConstant> _constants = new();
        private readonly List<RawEnum> _enums = new();
        private readonly List<RawStruct> _structs = new();
        private readonly List<RawClass> _classes = new();
        private readonly List<RawUsing> _usings = new();
        private int _pos;

        private HeaderParser(string path, string text)
        {
            _path = path;
            (_tokens, _macros) = Tokenizer.Tokenize(text);
        }

        public static (HeaderDecls Decls, EquatableArray<SpecDiagnostic> Diagnostics) Parse(string path, string text)
        {
            var parser = new HeaderParser(path, text);
            parser.Scope(string.Empty, untilBrace: false);
            var decls = new HeaderDecls(
                parser._constants.ToEquatableArray(),
                parser._enums.ToEquatableArray(),
                parser._structs.ToEquatableArray(),
                parser._classes.ToEquatableArray(),
                parser._usings.ToEquatableArray());
            return (decls, parser._diagnostics.ToEquatableArray());
        }

        private Token Peek(int ahead = 0) => _tokens[System.Math.Min(_pos + ahead, _tokens.Count - 1)];

        private Token Next()
        {
            var token = Peek();
            if (_pos < _tokens.Count - 1)
            {
                _pos++;
            }

            return token;
        }

        private bool AtEnd => Peek().Kind == TokenKind.End;

        private bool Accept(string text)
        {
            if (Peek().Is(text))
            {
                Next();
                return true;
            }

            return false;
        }

        private SourceSpot Spot(Token token) => SourceSpot.Of(_path, token);

        private void Unknown(Token at, string what) =>
            _diagnostics.Add(SpecDiagnostic.Create(Descriptors.UnknownConstruct, Spot(at), what));

        private void Scope(string ns, bool untilBrace)
        {
            while (!AtEnd)
            {
                var token = Peek();
                if (token.Is("}"))
                {
                    Next();
                    if (untilBrace)
                    {
                        return;
                    }

                    Unknown(token, "unbalanced '}'");
                    continue;
                }

                var before = _pos;
                Declaration(ns);
                if (_pos == before)
                {
                    Next(); // guarantees progress whatever the declaration reader did
                }
            }
        }

        private void Declaration(string ns)
        {
            var token = Peek();
            if (token.Is(";"))
            {
                Next();
                return;
            }

            if (token.Kind == TokenKind.Identifier && _macros.Contains(token.Text) && !Peek(1).Is("("))
            {
                Next(); // a bare macro such as an export marker
                return;
            }

            switch (token.Text)
            {
                case "namespace" when token.Kind == TokenKind.Identifier:
                    Namespace(ns);
                    return;
                case "using":
                    Using(ns);
                    return;
                case "typedef":
                    Typedef(ns);
                    return;
                case "constexpr":
                case "const":
                case "static":
                    Constant(ns);
                    return;
                case "enum":
                    Enum(ns);
                    return;
                case "struct":
                case "class":
                    Record(ns);
                    return;
                case "extern" when Peek(1).Kind == TokenKind.String:
                    Next();
                    Next();
                    if (Accept("{"))
                    {
                        Scope(ns, untilBrace: true);
                    }

                    return;
                default:
                    Unknown(token, DescribeSkipped());
                    SkipDeclaration();
                    return;
            }
        }

        private string DescribeSkipped()
        {
            var sb = new StringBuilder();
            for (var i = 0; i < 6 && Peek(i).Kind != TokenKind.End && !Peek(i).Is(";") && !Peek(i).Is("{"); i++)
            {
                sb.Append(i == 0 ? string.Empty : " ").Append(Peek(i).Text);
            }

            return sb.ToString();
        }

        /// <summary>Skips to the end of the current declaration: a ';' at depth 0, or a balanced '{…}' (plus its ';').</summary>
        private void SkipDeclaration()
        {
            var depth = 0;
            while (!AtEnd)
            {
                var token = Next();
                if (token.Is("{") || token.Is("(") || token.Is("["))
                {
                    depth++;
                }
                else if (token.Is("}") || token.Is(")") || token.Is("]"))
                {
                    depth--;
                    if (depth <= 0 && token.Is("}"))
                    {
                        Accept(";");
                        return;
                    }

                    if (depth < 0)
                    {
                        return;
                    }
                }
                else if (token.Is(";") && depth <= 0)
                {
                    return;
                }
            }
        }

        private void Namespace(string ns)
        {
            Next();
            var name = new StringBuilder();
            while (Peek().Kind == TokenKind.Identifier || Peek().Is("::"))
            {
                name.Append(Next().Text);
            }

            if (Accept("="))
            {
                SkipDeclaration(); // namespace alias: nothing to generate
                return;
            }

            if (!Accept("{"))
            {
                Unknown(Peek(), "namespace without a body");
                SkipDeclaration();
                return;
            }

            // An anonymous namespace keeps the enclosing scope: its names are visible there.
            var inner = name.Length == 0 ? ns : (ns.Length == 0 ? name.ToString() : ns + "::" + name);
            Scope(inner, untilBrace: true);
        }

        private string QualifiedName()
        {
            var sb = new StringBuilder();
            if (Peek().Is("::"))
            {
                Next();
            }

            while (Peek().Kind == TokenKind.Identifier)
            {
                sb.Append(Next().Text);
                if (Peek().Is("::") && Peek(1).Kind == TokenKind.Identifier)
                {
                    sb.Append(Next().Text);
                    continue;
                }

                break;
            }

            return sb.ToString();
        }

        private void Using(string ns)
        {
            var start = Next();
            if (Accept("namespace"))
            {
                SkipDeclaration();
                return;
            }

            if (Peek().Kind == TokenKind.Identifier && Peek(1).Is("="))
            {
                var alias = Next().Text;
                Next();
                var target = Type();
                if (target is null || !Accept(";"))
                {
                    Unknown(start, "using alias");
                    SkipDeclaration();
                    return;
                }

                _usings.Add(new RawUsing(ns, alias, target.Name, Spot(start)));
                return;
            }

            var name = QualifiedName();
            if (name.Length == 0 || !Accept(";"))
            {
                Unknown(start, "using declaration");
                SkipDeclaration();
                return;
            }

            _usings.Add(new RawUsing(ns, null, name, Spot(start)));
        }

        private void Typedef(string ns)
        {
            var start = Next();
            var type = Type();
            if (type is not null && Peek().Kind == TokenKind.Identifier && Peek(1).Is(";"))
            {
                var alias = Next().Text;
                Next();
                _usings.Add(new RawUsing(ns, alias, type.Name, Spot(start)));
                return;
            }

            Unknown(start, "typedef");
            SkipDeclaration();
        }

        /// <summary>Reads a type: cv-qualifiers, a qualified name, template arguments, then '*' and '&amp;' marks.</summary>
        private RawType? Type()
        {
            var isConst = false;
            while (Peek().Kind == TokenKind.Identifier && (Peek().Text == "const" || Peek().Text == "volatile" || Peek().Text == "typename"
                || Peek().Text == "struct" || Peek().Text == "enum"))
            {
                isConst |= Next().Text == "const";
            }

            var nameBuilder = new StringBuilder();
            // Multi-word builtins (unsigned long long) fold into one name.
            while (Peek().Kind == TokenKind.Identifier && (Peek().Text == "unsigned" || Peek().Text == "signed" || Peek().Text == "long" || Peek().Text == "short")
                && (Peek(1).Kind == TokenKind.Identifier))
            {
                nameBuilder.Append(Next().Text).Append(' ');
            }

            var name = QualifiedName();
            if (name.Length == 0)
            {
                if (nameBuilder.Length == 0)
                {
                    return null;
                }

                name = nameBuilder.ToString().TrimEnd();
            }
            else
            {
                name = nameBuilder + name;
            }

            var args = new List<RawType>();
            if (Peek().Is("<"))
            {
                Next();
                while (!AtEnd && !Peek().Is(">"))
                {
                    if (Peek().Kind == TokenKind.Number)
                    {
                        var number = Next();
                        args.Add(new RawType(number.Text, EquatableArray<RawType>.Empty, false, false, false));
                    }
                    else
                    {
                        var arg = Type();
                        if (arg is null)
                        {
                            return null;
                        }

                        args.Add(arg);
                    }

                    if (!Accept(","))
                    {
                        break;
                    }
                }

                if (!Accept(">"))
                {
                    return null;
                }
            }

            var isPointer = false;
            var isReference = false;
            while (Peek().Is("*") || Peek().Is("&") || Peek().Is("&&") || Peek().Is("const"))
            {
                var mark = Next().Text;
                isPointer |= mark == "*";
                isReference |= mark == "&" || mark == "&&";
                isConst |= mark == "const" && !isPointer;
            }

            return new RawType(name, args.ToEquatableArray(), isConst, isReference, isPointer);
        }

        /// <summary>Collects the text of an expression up to ',' ';' or a closing bracket at depth 0 (not consumed).</summary>
        private string Expression()
        {
            var sb = new StringBuilder();
            var depth = 0;
            while (!AtEnd)
            {
                var token = Peek();
                if (depth == 0 && (token.Is(",") || token.Is(")") || token.Is("]") || token.Is(";") || token.Is("}")))
                {
                    break;
                }

                if (token.Is("(") || token.Is("{") || token.Is("["))
                {
                    depth++;
                }
                else if (token.Is(")") || token.Is("}") || token.Is("]"))
                {
                    depth--;
                }

                Next();
                if (sb.Length > 0 && NeedsSpace(sb[sb.Length - 1], token.Text))
                {
                    sb.Append(' ');
                }

                sb.Append(token.Kind == TokenKind.String ? "\"" + token.Text + "\"" : token.Text);
            }

            return sb.ToString();
        }

        private static bool NeedsSpace(char last, string next) =>
            (char.IsLetterOrDigit(last) || last == '_') && next.Length > 0 && (char.IsLetterOrDigit(next[0]) || next[0] == '_');

        private void Constant(string ns)
        {
            var start = Peek();
            while (Peek().Is("constexpr") || Peek().Is("static") || Peek().Is("inline"))
            {
                Next();
            }

            var type = Type();
            if (type is null || Peek().Kind != TokenKind.Identifier)
            {
                Unknown(start, "constant declaration");
                SkipDeclaration();
                return;
            }

            var nameToken = Next();
            if (Accept("["))
            {
                while (!AtEnd && !Peek().Is("]"))
                {
                    Next();
                }

                Accept("]");
            }

            if (Peek().Is("("))
            {
                Unknown(start, "function declaration " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            string value;
            var isString = false;
            if (Accept("="))
            {
                if (Peek().Kind == TokenKind.String)
                {
                    value = Next().Text;
                    isString = true;
                }
                else
                {
                    value = Expression();
                }
            }
            else if (Peek().Is("{"))
            {
                Next();
                value = Peek().Kind == TokenKind.String ? Next().Text : Expression();
                isString = _tokens[_pos - 1].Kind == TokenKind.String;
                Accept("}");
            }
            else
            {
                Unknown(start, "constant without a value: " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            if (!Accept(";"))
            {
                Unknown(start, "constant " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            _constants.Add(new RawConstant(ns, nameToken.Text, type, value, isString, Spot(nameToken)));
        }

        private void Enum(string ns)
        {
            var start = Next();
            var doc = start.Doc;
            var scoped = Accept("class") || Accept("struct");
            if (Peek().Kind != TokenKind.Identifier)
            {
                Unknown(start, "anonymous enum");
                SkipDeclaration();
                return;
            }

            var nameToken = Next();
            string? underlying = null;
            if (Accept(":"))
            {
                underlying = Type()?.Name;
            }

            if (Accept(";"))
            {
                return; // forward declaration
            }

            if (!Accept("{"))
            {
                Unknown(start, "enum " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            var members = new List<RawEnumMember>();
            while (!AtEnd && !Peek().Is("}"))
            {
                if (Peek().Kind != TokenKind.Identifier)
                {
                    Unknown(Peek(), "enum member");
                    Next();
                    continue;
                }

                var member = Next();
                string? value = null;
                if (Accept("="))
                {
                    value = Expression();
                }

                members.Add(new RawEnumMember(member.Text, value, member.Doc, Spot(member)));
                if (!Accept(","))
                {
                    break;
                }
            }

            if (!Accept("}"))
            {
                Unknown(Peek(), "enum " + nameToken.Text + " is not closed");
                SkipDeclaration();
                return;
            }

            Accept(";");
            _enums.Add(new RawEnum(ns, nameToken.Text, underlying, scoped, doc ?? nameToken.Doc, members.ToEquatableArray(), Spot(nameToken)));
        }

        private void Record(string ns)
        {
            var start = Next();
            var isClass = start.Text == "class";
            var doc = start.Doc;
            // Visibility macros and attributes stand between the keyword and the name.
            while (Peek().Kind == TokenKind.Identifier && (_macros.Contains(Peek().Text) || Peek().Text == "final" || Peek().Text == "alignas")
                && Peek(1).Kind == TokenKind.Identifier)
            {
                Next();
            }

            if (Peek().Is("[") && Peek(1).Is("["))
            {
                while (!AtEnd && !(Peek().Is("]") && Peek(1).Is("]")))
                {
                    Next();
                }

                Next();
                Next();
            }

            if (Peek().Kind != TokenKind.Identifier)
            {
                Unknown(start, "anonymous " + start.Text);
                SkipDeclaration();
                return;
            }

            var nameToken = Next();
            if (Accept(";"))
            {
                return; // forward declaration
            }

            Accept("final");
            if (Accept(":"))
            {
                while (!AtEnd && !Peek().Is("{"))
                {
                    Next(); // base classes play no part in the contract
                }
            }

            if (!Accept("{"))
            {
                // e.g. "struct Foo bar;" – a variable of a struct type
                Unknown(start, start.Text + " " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            var isPublic = !isClass;
            var fields = new List<RawField>();
            var methods = new List<RawMethod>();
            while (!AtEnd && !Peek().Is("}"))
            {
                var before = _pos;
                if ((Peek().Is("public") || Peek().Is("private") || Peek().Is("protected")) && Peek(1).Is(":"))
                {
                    isPublic = Next().Text == "public";
                    Next();
                    continue;
                }

                if (!isPublic)
                {
                    SkipMember();
                }
                else
                {
                    Member(nameToken.Text, fields, methods);
                }

                if (_pos == before)
                {
                    Next();
                }
            }

            Accept("}");
            Accept(";");
            if (methods.Count > 0)
            {
                _classes.Add(new RawClass(ns, nameToken.Text, doc ?? nameToken.Doc, methods.ToEquatableArray(), Spot(nameToken)));
            }
            else
            {
                _structs.Add(new RawStruct(ns, nameToken.Text, doc ?? nameToken.Doc, fields.ToEquatableArray(), Spot(nameToken)));
            }
        }

        private void SkipMember()
        {
            if (Peek().Is("class") || Peek().Is("struct") || Peek().Is("enum"))
            {
                SkipDeclaration();
                return;
            }

            // Inline bodies of private methods end at their '}', other members at ';'.
            SkipDeclaration();
        }

        private void Member(string owner, List<RawField> fields, List<RawMethod> methods)
        {
            var start = Peek();
            var doc = start.Doc;
            if (start.Is(";"))
            {
                Next();
                return;
            }

            if (start.Is("using") || start.Is("typedef") || start.Is("static_assert") || start.Is("friend") || start.Is("template")
                || start.Is("enum") || ((start.Is("class") || start.Is("struct")) && Peek(2).Is(";")))
            {
                if (start.Is("template") || start.Is("friend"))
                {
                    Unknown(start, DescribeSkipped());
                }

                SkipDeclaration();
                return;
            }

            if (start.Is("~") && Peek(1).Text == owner)
            {
                Next();
                var name = Next();
                var destructorParams = Parameters();
                SkipToMemberEnd();
                if (destructorParams is not null)
                {
                    methods.Add(new RawMethod("~" + owner, MethodKind.Destructor, null, EquatableArray<RawParam>.Empty, doc, Spot(name)));
                }

                return;
            }

            while (Peek().Is("virtual") || Peek().Is("explicit") || Peek().Is("inline") || Peek().Is("static")
                || (Peek().Kind == TokenKind.Identifier && _macros.Contains(Peek().Text) && Peek(1).Kind == TokenKind.Identifier))
            {
                Next();
            }

            if (Peek().Text == owner && Peek(1).Is("("))
            {
                var name = Next();
                var ctorParams = Parameters();
                SkipToMemberEnd();
                if (ctorParams is not null)
                {
                    methods.Add(new RawMethod(owner, MethodKind.Constructor, null, ctorParams.ToEquatableArray(), doc, Spot(name)));
                }
                else
                {
                    Unknown(name, "constructor parameters");
                }

                return;
            }

            if (Peek().Is("operator") || Peek(1).Is("operator"))
            {
                Unknown(start, "operator overload");
                SkipDeclaration();
                return;
            }

            var type = Type();
            if (type is null || Peek().Kind != TokenKind.Identifier)
            {
                Unknown(start, DescribeSkipped());
                SkipDeclaration();
                return;
            }

            var nameToken = Next();
            if (Peek().Is("("))
            {
                var parameters = Parameters();
                if (parameters is null)
                {
                    Unknown(nameToken, "parameters of " + nameToken.Text);
                    SkipDeclaration();
                    return;
                }

                SkipToMemberEnd();
                methods.Add(new RawMethod(nameToken.Text, MethodKind.Method, type, parameters.ToEquatableArray(), doc, Spot(nameToken)));
                return;
            }

            Field(type, nameToken, doc, fields);
        }

        private void Field(RawType type, Token nameToken, string? doc, List<RawField> fields)
        {
            int? arrayLength = null;
            if (Accept("["))
            {
                var length = Expression();
                arrayLength = int.TryParse(length.TrimEnd('U', 'u', 'L', 'l'), out var n) ? n : -1;
                Accept("]");
            }

            string? init = null;
            if (Accept("="))
            {
                init = Expression();
                if (Peek().Is("}"))
                {
                    init = null; // malformed; reported below by the missing ';'
                }
            }
            else if (Peek().Is("{"))
            {
                init = Expression();
            }

            if (!Accept(";"))
            {
                Unknown(nameToken, "field " + nameToken.Text);
                SkipDeclaration();
                return;
            }

            fields.Add(new RawField(nameToken.Text, type, arrayLength, init, doc, Spot(nameToken)));
        }

        /// <summary>Reads '(' params ')'; null when the list cannot be read (the tokens are left for the caller to skip).</summary>
        private List<RawParam>? Parameters()
        {
            if (!Accept("("))
            {
                return null;
            }

            var result = new List<RawParam>();
            if (Accept(")"))
            {
                return result;
            }

            if (Peek().Is("void") && Peek(1).Is(")"))
            {
                Next();
                Next();
                return result;
            }

            while (!AtEnd)
            {
                var type = Type();
                if (type is null)
                {
                    return null;
                }

                var nameToken = Peek().Kind == TokenKind.Identifier ? Next() : null;
                if (Accept("["))
                {
                    while (!AtEnd && !Peek().Is("]"))
                    {
                        Next();
                    }

                    Accept("]");
                    type = type with { IsPointer = true };
                }

                string? defaultValue = null;
                if (Accept("="))
                {
                    defaultValue = Expression();
                }

                var spot = nameToken is null ? Spot(Peek()) : Spot(nameToken);
                result.Add(new RawParam(nameToken?.Text ?? "arg" + result.Count, type, defaultValue, spot));
                if (Accept(")"))
                {
                    return result;
                }

                if (!Accept(","))
                {
                    return null;
                }
            }

            return null;
        }

        /// <summary>After a member's parameter list: qualifiers, '= default/delete/0', then ';' or an inline body.</summary>
        private void SkipToMemberEnd()
        {
            while (!AtEnd)
            {
                if (Accept(";"))
                {
                    return;
                }

                if (Peek().Is("{"))
                {
                    SkipDeclaration();
                    return;
                }

                if (Peek().Is("}"))
                {
                    return;
                }

                Next();
            }
        }
    }
}
