using System.Linq;
using System.Text;
using LlmDataDist.Generators.Emit;
using LlmDataDist.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators
{
    /// <summary>Names of the tracked pipeline steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        /// <summary>One parse per spec file.</summary>
        public const string Parse = nameof(Parse);

        /// <summary>All parses joined into the model.</summary>
        public const string Build = nameof(Build);

        /// <summary>One unit per generated file.</summary>
        public const string Units = nameof(Units);
    }

    /// <summary>
    /// Reads the <c>llm_datadist.h</c> spec and its annotations (AdditionalFiles) and generates the SDK types, the
    /// backend contract and the typed client. Stages: parse each file → build one model → split into units → emit.
    /// Only value-equal data crosses a stage, so unrelated edits leave the outputs cached.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SdkGenerator : IIncrementalGenerator
    {
        private const string DefaultNamespace = "LlmDataDist";

        /// <inheritdoc />
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var parsed = context.AdditionalTextsProvider
                .Where(static t => SpecFiles.IsSpec(t.Path))
                .Select(static (t, ct) => SpecFiles.Parse(t.Path, t.GetText(ct)))
                .WithTrackingName(Steps.Parse);

            // Parse diagnostics travel apart from the model: a problem that moves changes diagnostics, not code.
            context.RegisterSourceOutput(parsed.SelectMany(static (f, _) => f.Diagnostics),
                static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));

            var ns = context.AnalyzerConfigOptionsProvider.Select(static (o, _) =>
                o.GlobalOptions.TryGetValue("build_property.LlmDataDistNamespace", out var value) && !string.IsNullOrWhiteSpace(value)
                    ? value.Trim()
                    : DefaultNamespace);

            var built = parsed.Collect()
                .Combine(ns)
                .Select(static (x, _) => x.Left.IsDefaultOrEmpty ? new BuildResult(null, EquatableArray<Diagnostics.SpecDiagnostic>.Empty) : SpecBuilder.Build(x.Left, x.Right))
                .WithTrackingName(Steps.Build);

            context.RegisterSourceOutput(built.SelectMany(static (b, _) => b.Diagnostics),
                static (spc, d) => spc.ReportDiagnostic(d.ToDiagnostic()));

            var units = built
                .Select(static (b, _) => b.Spec)
                .SelectMany(static (spec, _) => spec is null ? Enumerable.Empty<CodeUnit>() : CodeUnit.Split(spec))
                .WithTrackingName(Steps.Units);

            context.RegisterSourceOutput(units, static (spc, unit) =>
            {
                string text;
                try
                {
                    text = unit.Emit();
                }
                catch (System.Exception ex) when (ex is not System.OperationCanceledException)
                {
                    // An emitter bug is reported on the unit, never as a generator crash that hides every output.
                    spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.Descriptors.InternalError, Location.None, unit.HintName + ": " + ex.Message));
                    return;
                }

                try
                {
                    spc.AddSource(unit.HintName, SourceText.From(text, Encoding.UTF8));
                }
                catch (System.ArgumentException ex)
                {
                    // A hint name taken twice (e.g. a header struct named like a generated type) loses one file, not all.
                    spc.ReportDiagnostic(Diagnostic.Create(Diagnostics.Descriptors.InternalError, Location.None, unit.HintName + ": " + ex.Message));
                }
            });
        }
    }
}
