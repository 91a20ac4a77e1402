using System.Collections.Immutable;
using System.Text;
using BenchmarkDotNet.Attributes;
using LlmDataDist.Generators;
using LlmDataDist.Generators.Emit;
using LlmDataDist.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Benchmarks;

/// <summary>
/// The generator on the repository's spec: a full cold run through Roslyn's driver (what a build pays), and the
/// pipeline alone (parse, build, emit) to show where the time goes. Baseline: tokenizing the header, the least
/// any run must do.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private string _header = string.Empty;
    private string _annotations = string.Empty;
    private ImmutableArray<AdditionalText> _texts;
    private CSharpCompilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        _header = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "spec", "llm_datadist.h"));
        _annotations = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "spec", "llm_datadist.annotations"));
        _texts = [new Spec("spec/llm_datadist.h", _header), new Spec("spec/llm_datadist.annotations", _annotations)];
        _compilation = CSharpCompilation.Create("Bench", [], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)]);
    }

    [Benchmark(Baseline = true)]
    public int Tokenize() => LlmDataDist.Generators.Parsing.Tokenizer.Tokenize(_header).Tokens.Count;

    [Benchmark]
    public int ParseBuildEmit()
    {
        var files = new List<ParsedFile> { SpecFiles.Parse("spec/llm_datadist.h", SourceText.From(_header)), SpecFiles.Parse("spec/llm_datadist.annotations", SourceText.From(_annotations)) };
        var built = SpecBuilder.Build(files, "LlmDataDist");
        var length = 0;
        foreach (var unit in CodeUnit.Split(built.Spec!))
        {
            length += unit.Emit().Length;
        }

        return length;
    }

    [Benchmark]
    public int FullDriverRun()
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new SdkGenerator().AsSourceGenerator()], _texts);
        driver = driver.RunGenerators(_compilation);
        return driver.GetRunResult().GeneratedTrees.Length;
    }

    private sealed class Spec(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text, Encoding.UTF8);
    }
}
