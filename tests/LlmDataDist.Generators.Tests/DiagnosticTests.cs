using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace LlmDataDist.Generators.Tests;

/// <summary>Every problem in the spec is a diagnostic with its id, file and line; never a generator crash.</summary>
public class DiagnosticTests
{
    private const string Header = GeneratorHarness.HeaderPath;
    private const string Annotations = GeneratorHarness.AnnotationsPath;

    // The generator reads only additional files: one compilation serves every run.
    private static readonly Microsoft.CodeAnalysis.CSharp.CSharpCompilation NoSources = GeneratorHarness.Compilation(withRuntime: false);

    private static ImmutableArray<Diagnostic> Run(string? header = null, string? annotations = null)
    {
        var result = GeneratorHarness.Driver(GeneratorHarness.Spec(header, annotations)).RunGenerators(NoSources).GetRunResult();
        Assert.Null(result.Results.Single().Exception);
        return result.Diagnostics;
    }

    /// <summary>The one-based line of the first line of <paramref name="text"/> that contains <paramref name="snippet"/>.</summary>
    private static int LineOf(string text, string snippet)
    {
        var index = text.IndexOf(snippet, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{snippet}' is not in the text");
        return text[..index].Count(c => c == '\n') + 1;
    }

    private static string Replace(string text, string old, string replacement)
    {
        Assert.Contains(old, text, StringComparison.Ordinal);
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }

    /// <summary>Asserts the run reported exactly one diagnostic, with this id, file and line; returns its message.</summary>
    private static string AssertOnly(ImmutableArray<Diagnostic> diagnostics, string id, string path, int line)
    {
        var diagnostic = Assert.Single(diagnostics);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal((id, path, line), (diagnostic.Id, span.Path, span.StartLinePosition.Line + 1));
        return diagnostic.GetMessage(CultureInfo.InvariantCulture);
    }

    private static string SpecHeader => GeneratorHarness.SpecHeader;

    private static string SpecAnnotations => GeneratorHarness.SpecAnnotations;

    [Theory]
    [InlineData("template<typename T> struct Holder { T value; };")]
    [InlineData("union Bits { uint32_t word; uint8_t bytes[4]; };")]
    public void Unknown_construct_is_LLMDD0001_on_its_line_and_the_rest_still_generates(string construct)
    {
        var header = Replace(SpecHeader, "struct IpInfo {", construct + "\n\nstruct IpInfo {");

        var result = GeneratorHarness.Driver(GeneratorHarness.Spec(header)).RunGenerators(NoSources).GetRunResult();

        Assert.Null(result.Results.Single().Exception);
        var message = AssertOnly(result.Diagnostics, "LLMDD0001", Header, LineOf(header, construct));
        Assert.Contains(construct.Split(' ')[0].Split('<')[0], message, StringComparison.Ordinal);
        Assert.Equal(14, result.GeneratedTrees.Length);
    }

    [Theory]
    [InlineData("const std::set<int> &ids", "std::set<int>")]
    [InlineData("double *weights", "double*")]
    public void Unmappable_parameter_type_is_LLMDD0002_on_the_parameter_line(string parameter, string typeText)
    {
        var header = Replace(SpecHeader, "Status UnregisterKvCache(int64_t cache_id);", "Status UnregisterKvCache(int64_t cache_id,\n      " + parameter + ");");

        var message = AssertOnly(Run(header), "LLMDD0002", Header, LineOf(header, parameter));

        Assert.Contains(typeText, message, StringComparison.Ordinal);
        Assert.Contains("UnregisterKvCache", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unmappable_field_type_is_LLMDD0002_on_the_field_line()
    {
        var header = Replace(SpecHeader, "  uint16_t port = 0U;\n", "  uint16_t port = 0U;\n  float weight;\n");

        var message = AssertOnly(Run(header), "LLMDD0002", Header, LineOf(header, "float weight;"));

        Assert.Contains("IpInfo.weight", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Annotation_naming_nothing_is_LLMDD0003_with_a_did_you_mean_hint()
    {
        var annotations = SpecAnnotations + "\n[method PulKvCache]\nsummary = Pulls.\n";

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0003", Annotations, LineOf(annotations, "[method PulKvCache]"));

        Assert.Contains("did you mean 'PullKvCache'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[field CacheDesc.num_tensor]", "CacheDesc.num_tensors")]
    [InlineData("[status LLM_TIMEOUTS]", "LLM_TIMEOUT")]
    [InlineData("[param PullKvCache.batch_idx]", "PullKvCache.batch_index")]
    public void Misspelt_annotation_targets_of_every_kind_get_the_closest_name(string section, string hint)
    {
        var annotations = SpecAnnotations + "\n" + section + "\nsummary = Something.\n";

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0003", Annotations, LineOf(annotations, section));

        Assert.Contains($"did you mean '{hint}'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[method PullKvCache]\nsummary is missing its equals sign\n", "summary is missing")]
    [InlineData("[method PullKvCache\nsummary = x\n", "[method PullKvCache\n")]
    [InlineData("= orphan value\n", "= orphan value")]
    public void Malformed_annotation_line_is_LLMDD0004_on_that_line(string appended, string badLine)
    {
        // A section header without ']' leaves its key lines outside any section: those are reported too.
        var annotations = SpecAnnotations + "\n" + appended;

        var diagnostics = Run(annotations: annotations);

        var first = diagnostics.OrderBy(d => d.Location.GetLineSpan().StartLinePosition.Line).First();
        Assert.All(diagnostics, d => Assert.Equal("LLMDD0004", d.Id));
        Assert.Equal((Annotations, LineOf(annotations, badLine)), (first.Location.GetLineSpan().Path, first.Location.GetLineSpan().StartLinePosition.Line + 1));
    }

    [Fact]
    public void Datatypes_row_that_is_not_value_bits_host_is_LLMDD0004_on_its_line()
    {
        var annotations = Replace(SpecAnnotations, "DT_BF16 = 27 16\n", "DT_BF16 = 27 sixteen\n");

        var diagnostics = Run(annotations: annotations);

        // The row is dropped, so DT_BF16 also has no size (LLMDD0007 on the header's enum member).
        var syntax = Assert.Single(diagnostics, d => d.Id == "LLMDD0004");
        Assert.Equal((Annotations, LineOf(annotations, "DT_BF16 = 27 sixteen")), (syntax.Location.GetLineSpan().Path, syntax.Location.GetLineSpan().StartLinePosition.Line + 1));
        Assert.Equal(["LLMDD0004", "LLMDD0007"], diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Header_without_a_class_is_LLMDD0005_and_generates_nothing()
    {
        var header = "namespace llm_datadist {\nstruct Only { int32_t x = 0; };\n}\n";

        var result = GeneratorHarness.Driver(GeneratorHarness.Spec(header, string.Empty)).RunGenerators(NoSources).GetRunResult();

        Assert.Null(result.Results.Single().Exception);
        AssertOnly(result.Diagnostics, "LLMDD0005", Header, 1);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void Unknown_annotation_key_is_LLMDD0006_on_the_key_line_with_a_hint()
    {
        var annotations = Replace(SpecAnnotations, "[method Finalize]\n", "[method Finalize]\nsumary = Stops.\n");

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0006", Annotations, LineOf(annotations, "sumary = Stops."));

        Assert.Contains("did you mean 'summary'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[option OPTION_DEVICE_ID]\ntype = int\n", "[option OPTION_DEVICE_ID]\ntype = strng\n", "type = strng", "did you mean 'string'")]
    [InlineData("[param LinkLlmClusters.timeout_in_millis]\nusage = milliseconds\n", "[param LinkLlmClusters.timeout_in_millis]\nusage = milisecond\n", "usage = milisecond", "did you mean 'milliseconds'")]
    [InlineData("summary = Timed out (HX).\n", "summary = Timed out (HX).\nrecoverable = maybe\n", "recoverable = maybe", "use true or false")]
    public void Unknown_annotation_value_is_LLMDD0006_on_the_value_line_with_a_hint(string old, string replacement, string badLine, string hint)
    {
        var annotations = Replace(SpecAnnotations, old, replacement);

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0006", Annotations, LineOf(annotations, badLine));

        Assert.Contains(hint, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_section_kind_is_LLMDD0006_with_a_hint()
    {
        var annotations = SpecAnnotations + "\n[methd PullKvCache]\nsummary = x\n";

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0006", Annotations, LineOf(annotations, "[methd PullKvCache]"));

        Assert.Contains("did you mean 'method'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_type_without_a_size_row_is_LLMDD0007_on_its_using_line()
    {
        // The spec header imports DataType from the ge headers as CANN's does, so the member's spot is its using line.
        var annotations = Replace(SpecAnnotations, "DT_BF16 = 27 16\n", string.Empty);

        var message = AssertOnly(Run(annotations: annotations), "LLMDD0007", Header, LineOf(SpecHeader, "using ge::DT_BF16;"));

        Assert.Contains("DT_BF16", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Imported_data_type_without_a_value_is_LLMDD0007_on_its_own_using_line()
    {
        // CANN style: no enum in the header. DT_INT8 is missing from the table; DT_QINT8 and DT_DUAL_SUB_INT8,
        // whose names end the same way, are imported first and must not take the blame.
        var header = GeneratorHarness.Fixture("cann_style_llm_datadist.h");
        header = Replace(header, "using ge::DT_FLOAT;\n", "using ge::DT_FLOAT;\nusing ge::DT_QINT8;\nusing ge::DT_DUAL_SUB_INT8;\n");
        var annotations = Replace(SpecAnnotations, "DT_INT8 = 2 8\n", string.Empty);

        var diagnostics = Run(header, annotations).Where(d => d.Id != "LLMDD0003").ToImmutableArray();

        var message = AssertOnly(diagnostics, "LLMDD0007", Header, LineOf(header, "using ge::DT_INT8;"));
        Assert.Contains("'DT_INT8' has no value", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("uint32_t batch_index = 0U", "uint32_t batch_index = kNoSuchConstant", "kNoSuchConstant")]
    [InlineData("  int64_t cache_id = -1;\n", "  int64_t cache_id = compute_id();\n", "compute_id()")]
    [InlineData("CachePlacement placement = CachePlacement::kDevice;", "CachePlacement placement = CachePlacement::kCloud;", "CachePlacement::kCloud")]
    public void Untranslatable_default_is_LLMDD0008_on_its_line(string old, string replacement, string defaultText)
    {
        var header = Replace(SpecHeader, old, replacement);

        var message = AssertOnly(Run(header), "LLMDD0008", Header, LineOf(header, replacement.Trim()));

        Assert.Contains($"'{defaultText}'", message, StringComparison.Ordinal);
    }

    // ---- regressions found by PipelineRobustnessProperties ---------------------------------------------------

    [Fact]
    public void Struct_declared_twice_is_LLMDD0001_on_the_second_and_generates_one_file()
    {
        const string second = "struct IpInfo {\n  AscendString ip;\n};\n";
        var header = Replace(SpecHeader, "/// One peer to link to or unlink from.", second + "/// One peer to link to or unlink from.");

        var result = GeneratorHarness.Driver(GeneratorHarness.Spec(header)).RunGenerators(NoSources).GetRunResult();

        Assert.Null(result.Results.Single().Exception);
        var message = AssertOnly(result.Diagnostics, "LLMDD0001", Header, LineOf(header, second));
        Assert.Contains("second declaration of 'IpInfo'", message, StringComparison.Ordinal);
        Assert.Equal(14, result.GeneratedTrees.Length);
        Assert.Contains("Port", result.Results.Single().GeneratedSources.Single(s => s.HintName == "IpInfo.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Per_cluster_results_without_a_cluster_list_are_reported_and_the_client_still_generates()
    {
        // The clusters parameter no longer maps, so the annotated per-cluster 'rets' has nothing to pair with.
        var header = Replace(SpecHeader, "Status LinkLlmClusters(const std::vector<ClusterInfo> &clusters,", "Status LinkLlmClusters(const std::vector<PeerInfo> &clusters,");

        var result = GeneratorHarness.Driver(GeneratorHarness.Spec(header)).RunGenerators(NoSources).GetRunResult();

        Assert.Null(result.Results.Single().Exception);
        Assert.Equal(["LLMDD0002", "LLMDD0006"], result.Diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        var perCluster = result.Diagnostics.Single(d => d.Id == "LLMDD0006");
        Assert.Equal((Annotations, LineOf(SpecAnnotations, "[param LinkLlmClusters.rets]") + 1), (perCluster.Location.GetLineSpan().Path, perCluster.Location.GetLineSpan().StartLinePosition.Line + 1));
        Assert.Contains(result.Results.Single().GeneratedSources, s => s.HintName == "LlmDataDistClient.g.cs");
    }
}
