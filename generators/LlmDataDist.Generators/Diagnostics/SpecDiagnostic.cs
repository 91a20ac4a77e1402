using LlmDataDist.Generators.Model;
using LlmDataDist.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators.Diagnostics
{
    /// <summary>A diagnostic as plain data (id, place, message arguments), so pipeline stages stay value-equal.</summary>
    internal sealed record SpecDiagnostic(string Id, SourceSpot Spot, EquatableArray<string> Args)
    {
        public static SpecDiagnostic Create(DiagnosticDescriptor rule, SourceSpot spot, params string[] args) =>
            new(rule.Id, spot, new EquatableArray<string>(args));

        public Diagnostic ToDiagnostic()
        {
            var rule = Descriptors.ById(Id) ?? Descriptors.InternalError;
            var span = new TextSpan(Spot.Start, Spot.Length);
            var lines = new LinePositionSpan(new LinePosition(Spot.Line, Spot.Column), new LinePosition(Spot.EndLine, Spot.EndColumn));
            var location = Location.Create(Spot.Path, span, lines);
            // Descriptor format strings take object[]; the args are strings by construction.
            var args = new object[Args.Count];
            for (var i = 0; i < Args.Count; i++)
            {
                args[i] = Args[i];
            }

            return Diagnostic.Create(rule, location, args);
        }

        /// <summary>One-based line, as editors show it.</summary>
        public int DisplayLine => Spot.Line + 1;

        public override string ToString() => $"{Spot.Path}({DisplayLine},{Spot.Column + 1}): {Id} {string.Join(" | ", Args)}";
    }
}
