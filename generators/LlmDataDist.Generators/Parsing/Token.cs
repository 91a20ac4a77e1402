namespace LlmDataDist.Generators.Parsing
{
    internal enum TokenKind
    {
        Identifier,
        Number,
        String,
        Char,
        Punct,
        End,
    }

    /// <summary>One C++ token with its place in the text; <see cref="Doc"/> is the doc comment just before it.</summary>
    internal sealed record Token(TokenKind Kind, string Text, int Start, int Length, int Line, int Column, string? Doc)
    {
        public bool Is(string text) => Text == text && Kind != TokenKind.String && Kind != TokenKind.Char;

        public override string ToString() => Text;
    }
}
