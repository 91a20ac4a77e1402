using Microsoft.CodeAnalysis;

namespace LlmDataDist.Generators.Diagnostics
{
    /// <summary>Every diagnostic the generator reports; ids are listed in AnalyzerReleases.Unshipped.md.</summary>
    internal static class Descriptors
    {
        private const string Category = "LlmDataDist.Spec";

        public static readonly DiagnosticDescriptor InternalError = new(
            "LLMDD0000", "Generator error", "The LlmDataDist generator failed on this file: {0}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnknownConstruct = new(
            "LLMDD0001", "Unsupported C++ construct", "Cannot read this C++ construct, skipped: {0}",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnmappableType = new(
            "LLMDD0002", "C++ type has no .NET mapping", "No .NET mapping for type '{0}' of {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor AnnotationTargetMissing = new(
            "LLMDD0003", "Annotation names nothing in the header", "Annotation '{0}' names nothing in the header{1}",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor AnnotationSyntax = new(
            "LLMDD0004", "Malformed annotation", "Malformed annotation: {0}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor MissingClass = new(
            "LLMDD0005", "No interface class", "The spec declares no class with public methods; nothing to generate",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnknownAnnotationValue = new(
            "LLMDD0006", "Unknown annotation key or value", "Unknown annotation {0}{1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DataTypeWithoutValue = new(
            "LLMDD0007", "Data type without value or size", "Data type '{0}' has no {1}; add it to the header or the annotations",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor BadDefault = new(
            "LLMDD0008", "Default value cannot be translated", "Cannot translate the default '{0}' of {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static DiagnosticDescriptor? ById(string id) => id switch
        {
            "LLMDD0000" => InternalError,
            "LLMDD0001" => UnknownConstruct,
            "LLMDD0002" => UnmappableType,
            "LLMDD0003" => AnnotationTargetMissing,
            "LLMDD0004" => AnnotationSyntax,
            "LLMDD0005" => MissingClass,
            "LLMDD0006" => UnknownAnnotationValue,
            "LLMDD0007" => DataTypeWithoutValue,
            "LLMDD0008" => BadDefault,
            _ => null,
        };
    }
}
