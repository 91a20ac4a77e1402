using System.Collections.Generic;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Model;

namespace LlmDataDist.Generators.Parsing
{
    internal sealed record AnnotationEntry(string Key, string Value, SourceSpot Spot);

    /// <summary>One <c>[kind target]</c> section of the annotations file and its <c>key = value</c> lines.</summary>
    internal sealed record AnnotationSection(string Kind, string Target, EquatableArray<AnnotationEntry> Entries, SourceSpot Spot);

    internal sealed record AnnotationDecls(EquatableArray<AnnotationSection> Sections);

    /// <summary>
    /// Reads the annotations file: <c>#</c> comments, <c>[kind target]</c> headers, <c>key = value</c> lines, and
    /// indented lines that continue the previous value. Errors are reported, never thrown.
    /// </summary>
    internal static class AnnotationParser
    {
        public static (AnnotationDecls Decls, EquatableArray<SpecDiagnostic> Diagnostics) Parse(string path, string text)
        {
            var sections = new List<AnnotationSection>();
            var diagnostics = new List<SpecDiagnostic>();
            string? kind = null;
            string? target = null;
            SourceSpot? sectionSpot = null;
            var entries = new List<AnnotationEntry>();
            var lines = text.Split('\n');
            var offset = 0;

            void Flush()
            {
                if (kind is not null && sectionSpot is not null)
                {
                    sections.Add(new AnnotationSection(kind, target ?? string.Empty, entries.ToEquatableArray(), sectionSpot));
                }

                entries = new List<AnnotationEntry>();
            }

            for (var lineNumber = 0; lineNumber < lines.Length; lineNumber++)
            {
                var raw = lines[lineNumber].TrimEnd('\r');
                var lineStart = offset;
                offset += lines[lineNumber].Length + 1;
                var trimmed = raw.Trim();
                var spot = new SourceSpot(path, lineStart, raw.Length, lineNumber, 0, lineNumber, raw.Length);
                if (trimmed.Length == 0 || trimmed.StartsWith("#", System.StringComparison.Ordinal))
                {
                    continue;
                }

                if (trimmed.StartsWith("[", System.StringComparison.Ordinal))
                {
                    Flush();
                    if (!trimmed.EndsWith("]", System.StringComparison.Ordinal))
                    {
                        diagnostics.Add(SpecDiagnostic.Create(Descriptors.AnnotationSyntax, spot, "section header without ']': " + trimmed));
                        kind = null;
                        continue;
                    }

                    var inner = trimmed.Substring(1, trimmed.Length - 2).Trim();
                    var space = inner.IndexOf(' ');
                    kind = space < 0 ? inner : inner.Substring(0, space);
                    target = space < 0 ? string.Empty : inner.Substring(space + 1).Trim();
                    sectionSpot = spot;
                    continue;
                }

                var continues = raw.Length > 0 && char.IsWhiteSpace(raw[0]) && entries.Count > 0;
                if (continues)
                {
                    var last = entries[entries.Count - 1];
                    entries[entries.Count - 1] = last with { Value = last.Value + " " + trimmed };
                    continue;
                }

                var equals = trimmed.IndexOf('=');
                if (equals <= 0 || kind is null)
                {
                    diagnostics.Add(SpecDiagnostic.Create(Descriptors.AnnotationSyntax, spot,
                        kind is null ? "line outside any [section]: " + trimmed : "expected 'key = value': " + trimmed));
                    continue;
                }

                var key = trimmed.Substring(0, equals).Trim();
                var value = trimmed.Substring(equals + 1).Trim();
                var keyColumn = raw.IndexOf(key, System.StringComparison.Ordinal);
                entries.Add(new AnnotationEntry(key, value, spot with { Start = lineStart + keyColumn, Length = key.Length, Column = keyColumn, EndColumn = keyColumn + key.Length }));
            }

            Flush();
            return (new AnnotationDecls(sections.ToEquatableArray()), diagnostics.ToEquatableArray());
        }
    }
}
