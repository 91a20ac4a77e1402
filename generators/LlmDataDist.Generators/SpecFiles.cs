using System;
using System.IO;
using LlmDataDist.Generators.Diagnostics;
using LlmDataDist.Generators.Model;
using LlmDataDist.Generators.Parsing;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators
{
    /// <summary>Which additional files are spec files, and how each is parsed.</summary>
    internal static class SpecFiles
    {
        public const string AnnotationsExtension = ".annotations";

        /// <summary>Headers (<c>*.h</c>, <c>*.hpp</c>) and the annotations file; other additional files are not ours.</summary>
        public static bool IsSpec(string path) =>
            path.EndsWith(".h", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hpp", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(AnnotationsExtension, StringComparison.OrdinalIgnoreCase);

        public static ParsedFile Parse(string path, SourceText? text)
        {
            var content = text?.ToString() ?? string.Empty;
            try
            {
                if (path.EndsWith(AnnotationsExtension, StringComparison.OrdinalIgnoreCase))
                {
                    var (annotations, diagnostics) = AnnotationParser.Parse(path, content);
                    return new ParsedFile(path, null, annotations, diagnostics);
                }

                var (header, headerDiagnostics) = HeaderParser.Parse(path, content);
                return new ParsedFile(path, header, null, headerDiagnostics);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The parse boundary: a parser bug becomes LLMDD0000 on the file, never a generator crash.
                var spot = new SourceSpot(path, 0, 0, 0, 0, 0, 0);
                return new ParsedFile(path, null, null,
                    new EquatableArray<SpecDiagnostic>(new[] { SpecDiagnostic.Create(Descriptors.InternalError, spot, Path.GetFileName(path) + ": " + ex.Message) }));
            }
        }
    }
}
