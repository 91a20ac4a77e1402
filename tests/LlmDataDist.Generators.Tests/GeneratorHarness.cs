using System.Collections.Immutable;
using System.Text;
using LlmDataDist.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators.Tests;

/// <summary>An in-memory additional file.</summary>
internal sealed class SpecText(string path, string text) : AdditionalText
{
    public override string Path => path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
}

/// <summary>Runs the generator the way the compiler does, over the repository's spec or over fixture text.</summary>
internal static class GeneratorHarness
{
    public const string HeaderPath = "spec/llm_datadist.h";
    public const string AnnotationsPath = "spec/llm_datadist.annotations";

    public static string SpecHeader => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "spec", "llm_datadist.h"));

    public static string SpecAnnotations => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "spec", "llm_datadist.annotations"));

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    public static ImmutableArray<AdditionalText> Spec(string? header = null, string? annotations = null) =>
        [new SpecText(HeaderPath, header ?? SpecHeader), new SpecText(AnnotationsPath, annotations ?? SpecAnnotations)];

    public static CSharpGeneratorDriver Driver(IEnumerable<AdditionalText> texts) =>
        CSharpGeneratorDriver.Create(
            [new SdkGenerator().AsSourceGenerator()],
            texts,
            parseOptions: new CSharpParseOptions(LanguageVersion.Preview),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>The framework plus the SDK's hand-written runtime sources: what the generated code compiles against.</summary>
    public static CSharpCompilation Compilation(bool withRuntime = true)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(p => MetadataReference.CreateFromFile(p));
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;",
                new CSharpParseOptions(LanguageVersion.Preview)),
        };
        if (withRuntime)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "runtime"), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                trees.Add(CSharpSyntaxTree.ParseText(File.ReadAllText(file), new CSharpParseOptions(LanguageVersion.Preview), path: file));
            }
        }

        return CSharpCompilation.Create("Generated", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static (GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(IEnumerable<AdditionalText> texts, bool withRuntime = true)
    {
        var driver = Driver(texts).RunGeneratorsAndUpdateCompilation(Compilation(withRuntime), out var output, out var diagnostics);
        return (driver.GetRunResult(), output, diagnostics);
    }
}
