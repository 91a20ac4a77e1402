using LlmDataDist.Generators.Model;
using Microsoft.CodeAnalysis.Text;

namespace LlmDataDist.Generators.Tests;

/// <summary>What the model makes of parsed C++: .NET types, out parameters, translated defaults.</summary>
public class SpecBuilderTests
{
    internal static BuildResult Build(string header, string annotations = "") =>
        SpecBuilder.Build(
            [SpecFiles.Parse(GeneratorHarness.HeaderPath, SourceText.From(header)), SpecFiles.Parse(GeneratorHarness.AnnotationsPath, SourceText.From(annotations))],
            "LlmDataDist");

    /// <summary>A namespace with the given declarations and a minimal class, so the builder has something to build.</summary>
    internal static string WithClass(string declarations, string members = "Status Initialize();") => $$"""
        namespace llm_datadist {
        using Status = uint32_t;
        {{declarations}}
        class LlmDataDist {
         public:
          {{members}}
        };
        }
        """;

    private static ParamSpec Param(ApiSpec spec, string method, string name) =>
        spec.Class.Methods.Single(m => m.NativeName == method).Params.Single(p => p.NativeName == name);

    private static FieldSpec Field(ApiSpec spec, string structName, string name) =>
        spec.Structs.Single(s => s.NativeName == structName).Fields.Single(f => f.NativeName == name);

    [Fact]
    public void Repository_spec_builds_without_diagnostics()
    {
        var result = Build(GeneratorHarness.SpecHeader, GeneratorHarness.SpecAnnotations);

        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        Assert.Equal(15, result.Spec!.Class.Methods.Count);
        Assert.Equal("Shutdown", result.Spec.Class.Methods.Single(m => m.NativeName == "Finalize").ManagedName);
    }

    [Fact]
    public void Non_const_reference_parameters_are_out_values_and_const_references_are_inputs()
    {
        var spec = Build(GeneratorHarness.SpecHeader, GeneratorHarness.SpecAnnotations).Spec!;

        Assert.True(Param(spec, "AllocateCache", "cache").IsOut);
        Assert.False(Param(spec, "AllocateCache", "cache_desc").IsOut);
        Assert.True(Param(spec, "RegisterKvCache", "cache_id").IsOut);
        Assert.True(Param(spec, "LinkLlmClusters", "rets").IsOut);
        Assert.False(Param(spec, "DeallocateCache", "cache_id").IsOut);
    }

    [Fact]
    public void Parameter_defaults_become_csharp_expressions_of_the_mapped_type()
    {
        var spec = Build(GeneratorHarness.SpecHeader, GeneratorHarness.SpecAnnotations).Spec!;

        Assert.Equal("0U", Param(spec, "PullKvCache", "batch_index").DefaultExpression);
        Assert.Equal("-1L", Param(spec, "PullKvCache", "size").DefaultExpression);
        Assert.Equal("0UL", Param(spec, "CopyKvCache", "offset").DefaultExpression);
        Assert.Equal("false", Param(spec, "UnlinkLlmClusters", "force_flag").DefaultExpression);
        Assert.Equal("1000", Param(spec, "UnlinkLlmClusters", "timeout_in_millis").DefaultExpression);
        // '= {}' of a struct or a map is "empty": the client takes null and fills a fresh value.
        Assert.Equal("null", Param(spec, "PullKvCache", "ext_param").DefaultExpression);
        Assert.Equal("null", Param(spec, "SetRole", "options").DefaultExpression);
        Assert.Null(Param(spec, "PullKvCache", "src_cache_index").DefaultExpression);
    }

    [Fact]
    public void Field_initializers_become_csharp_defaults_and_reserved_arrays_disappear()
    {
        var spec = Build(GeneratorHarness.SpecHeader, GeneratorHarness.SpecAnnotations).Spec!;

        Assert.Equal("global::LlmDataDist.CachePlacement.Device", Field(spec, "CacheDesc", "placement").DefaultExpression);
        Assert.Equal("0U", Field(spec, "CacheDesc", "num_tensors").DefaultExpression);
        Assert.Equal("global::LlmDataDist.DataType.Undefined", Field(spec, "CacheDesc", "data_type").DefaultExpression);
        Assert.Equal("-1L", Field(spec, "Cache", "cache_id").DefaultExpression);
        Assert.Equal("new(-1, -1)", Field(spec, "KvCacheExtParam", "src_layer_range").DefaultExpression);
        Assert.Equal("new(-1, -1)", Field(spec, "KvCacheExtParam", "dst_layer_range").DefaultExpression);
        Assert.Equal("2", Field(spec, "KvCacheExtParam", "tensor_num_per_layer").DefaultExpression);
        Assert.All(spec.Structs, s => Assert.DoesNotContain(s.Fields, f => f.NativeName.StartsWith("reserved", StringComparison.Ordinal)));
        Assert.Empty(spec.Structs.Single(s => s.NativeName == "RegisterCfg").Fields);
    }

    [Fact]
    public void Template_types_map_to_lists_maps_and_pairs_including_nested_lists()
    {
        var spec = Build(WithClass(
            "struct S { std::vector<std::vector<uint64_t>> lists; std::map<AscendString, int32_t> counts; std::pair<int32_t, uint8_t> pair; };",
            "Status Use(const S &s, const std::vector<std::vector<uint64_t>> &blocks);")).Spec!;

        var s = spec.Structs.Single();
        var list = s.Fields.Single(f => f.NativeName == "lists").Type;
        Assert.Equal((TypeKind.List, TypeKind.List, TypeKind.ULong), (list.Kind, list.Args[0].Kind, list.Args[0].Args[0].Kind));
        var map = s.Fields.Single(f => f.NativeName == "counts").Type;
        Assert.Equal((TypeKind.Map, TypeKind.String, TypeKind.Int), (map.Kind, map.Args[0].Kind, map.Args[1].Kind));
        Assert.Equal(TypeKind.Pair, s.Fields.Single(f => f.NativeName == "pair").Type.Kind);
        Assert.Equal(TypeKind.List, Param(spec, "Use", "blocks").Type.Args[0].Kind);
    }

    [Fact]
    public void Chinese_doxygen_supplies_summaries_where_the_annotations_are_silent()
    {
        var spec = Build(WithClass(string.Empty, """
            /**
             * @brief 释放缓存
             * @param [in] cache_id 缓存ID
             * @return 成功返回LLM_SUCCESS
             */
            Status DeallocateCache(int64_t cache_id);
            """)).Spec!;

        var method = spec.Class.Methods.Single();
        Assert.Equal("释放缓存", method.Summary);
        Assert.Equal("缓存ID", method.Params.Single().Summary);
        Assert.Equal("成功返回LLM_SUCCESS", method.ReturnsSummary);
    }
}
