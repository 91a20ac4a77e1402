using LlmDataDist.Generators.Model;
using LlmDataDist.Generators.Parsing;

namespace LlmDataDist.Generators.Tests;

public class HeaderParserTests
{
    private const string Path = "spec/test.h";

    /// <summary>Parses a header that must read cleanly: any diagnostic fails the test with its text.</summary>
    private static HeaderDecls Parse(string text)
    {
        var (decls, diagnostics) = HeaderParser.Parse(Path, text);
        Assert.True(diagnostics.Count == 0, string.Join("\n", diagnostics));
        return decls;
    }

    private static RawStruct Struct(HeaderDecls decls, string name) => decls.Structs.Single(s => s.Name == name);

    private static RawField Field(RawStruct s, string name) => s.Fields.Single(f => f.Name == name);

    private static RawMethod Method(HeaderDecls decls, string name) => decls.Classes.Single().Methods.Single(m => m.Name == name);

    private static RawParam Param(RawMethod method, string name) => method.Params.Single(p => p.Name == name);

    [Fact]
    public void Include_guard_and_visibility_macro_do_not_hide_the_class()
    {
        var decls = Parse("""
            #ifndef X_H
            #define X_H
            #ifdef FUNC_VISIBILITY
            #define ASCEND_FUNC_VISIBILITY __attribute__((visibility("default")))
            #else
            #define ASCEND_FUNC_VISIBILITY
            #endif
            namespace llm_datadist {
            class ASCEND_FUNC_VISIBILITY LlmDataDist {
             public:
              Status Initialize();
            };
            }  // namespace llm_datadist
            #endif  // X_H
            """);

        var cls = Assert.Single(decls.Classes);
        Assert.Equal(("llm_datadist", "LlmDataDist"), (cls.Namespace, cls.Name));
        Assert.Equal("Initialize", Assert.Single(cls.Methods).Name);
    }

    [Fact]
    public void Namespaces_nest_by_block_and_by_qualified_name_and_anonymous_ones_keep_the_enclosing_scope()
    {
        var decls = Parse("""
            namespace ge { constexpr int kInGe = 1; }
            namespace llm_datadist {
            namespace {
            constexpr uint8_t kDefaultTensorNumPerLayer = 2U;
            }
            namespace inner { constexpr int kInner = 3; }
            }
            namespace llm_datadist::detail { constexpr int kDetail = 4; }
            constexpr int kGlobal = 5;
            """);

        var namespaces = decls.Constants.ToDictionary(c => c.Name, c => c.Namespace);
        Assert.Equal("ge", namespaces["kInGe"]);
        Assert.Equal("llm_datadist", namespaces["kDefaultTensorNumPerLayer"]);
        Assert.Equal("llm_datadist::inner", namespaces["kInner"]);
        Assert.Equal("llm_datadist::detail", namespaces["kDetail"]);
        Assert.Equal(string.Empty, namespaces["kGlobal"]);
    }

    [Fact]
    public void Constexpr_constants_keep_string_values_and_integer_text_including_hex_with_suffix()
    {
        var decls = Parse("""
            constexpr const char OPTION_DEVICE_ID[] = "llm.DeviceId";
            constexpr Status LLM_WAIT_PROC_TIMEOUT = 0x5010B001U;
            constexpr Status LLM_FAILED = 0xFFFFFFFFU;
            constexpr uint8_t kDefaultTensorNumPerLayer = 2U;
            """);

        var option = decls.Constants.Single(c => c.Name == "OPTION_DEVICE_ID");
        Assert.True(option.IsString);
        Assert.Equal("llm.DeviceId", option.Value);
        Assert.Equal("char", option.Type.Name);
        var timeout = decls.Constants.Single(c => c.Name == "LLM_WAIT_PROC_TIMEOUT");
        Assert.False(timeout.IsString);
        Assert.Equal(("Status", "0x5010B001U"), (timeout.Type.Name, timeout.Value));
        Assert.True(SpecBuilder.TryParseInteger("0x5010B001U", out var value));
        Assert.Equal(0x5010B001L, value);
        Assert.True(SpecBuilder.TryParseInteger("0xFFFFFFFFU", out value));
        Assert.Equal(0xFFFFFFFFL, value);
        Assert.Equal("2U", decls.Constants.Single(c => c.Name == "kDefaultTensorNumPerLayer").Value);
    }

    [Fact]
    public void Using_aliases_and_using_declarations_are_told_apart()
    {
        var decls = Parse("""
            namespace llm_datadist {
            using Status = ge::Status;
            using DataType = ge::DataType;
            using ge::DT_FLOAT;
            using namespace std;
            }
            """);

        Assert.Equal(
            [("Status", "ge::Status"), ("DataType", "ge::DataType"), (null, "ge::DT_FLOAT")],
            decls.Usings.Select(u => (u.Alias, u.Target)));
        Assert.All(decls.Usings, u => Assert.Equal("llm_datadist", u.Namespace));
    }

    [Fact]
    public void Scoped_enum_keeps_its_underlying_type_and_members_without_values()
    {
        var decls = Parse("enum class LlmRole : int32_t { kPrompt = 1, kDecoder = 2, kMix = 3, kEnd };");

        var role = Assert.Single(decls.Enums);
        Assert.True(role.IsScoped);
        Assert.Equal("int32_t", role.Underlying);
        Assert.Equal([("kPrompt", "1"), ("kDecoder", "2"), ("kMix", "3"), ("kEnd", null)], role.Members.Select(m => (m.Name, m.ValueText)));
    }

    [Fact]
    public void Implicit_enum_value_follows_the_previous_one()
    {
        var result = SpecBuilderTests.Build(SpecBuilderTests.WithClass("enum class LlmRole : int32_t { kPrompt = 1, kDecoder = 2, kMix = 3, kEnd };"));

        var role = result.Spec!.Enums.Single(e => e.NativeName == "LlmRole");
        Assert.Equal("int", role.Underlying);
        Assert.Equal([("Prompt", 1L), ("Decoder", 2L), ("Mix", 3L), ("End", 4L)], role.Members.Select(m => (m.ManagedName, m.Value)));
    }

    [Fact]
    public void Plain_c_enum_with_trailing_comma_is_unscoped_without_underlying_type()
    {
        var decls = Parse("enum DataType {\n  DT_FLOAT = 0,\n  DT_FLOAT16 = 1,\n  DT_INT8,\n};\n");

        var dataType = Assert.Single(decls.Enums);
        Assert.False(dataType.IsScoped);
        Assert.Null(dataType.Underlying);
        Assert.Equal(["DT_FLOAT", "DT_FLOAT16", "DT_INT8"], dataType.Members.Select(m => m.Name));
        Assert.Equal(3, dataType.Members[2].Spot.Line);
    }

    [Fact]
    public void Struct_fields_keep_default_member_initializers_as_written()
    {
        var decls = Parse("""
            struct CacheDesc {
              CachePlacement placement = CachePlacement::kDevice;
              uint32_t num_tensors = 0U;
              int64_t cache_id = -1;
              std::vector<int64_t> shape;
            };
            struct KvCacheExtParam {
              std::pair<int32_t, int32_t> src_layer_range = {-1, -1};
              std::pair<int32_t, int32_t> dst_layer_range{-1, -1};
              uint8_t tensor_num_per_layer = kDefaultTensorNumPerLayer;
            };
            """);

        var desc = Struct(decls, "CacheDesc");
        Assert.Equal("CachePlacement::kDevice", Field(desc, "placement").Initializer);
        Assert.Equal("0U", Field(desc, "num_tensors").Initializer);
        Assert.Equal("-1", Field(desc, "cache_id").Initializer);
        Assert.Null(Field(desc, "shape").Initializer);
        var ext = Struct(decls, "KvCacheExtParam");
        Assert.Equal("{-1,-1}", Field(ext, "src_layer_range").Initializer);
        Assert.Equal("{-1,-1}", Field(ext, "dst_layer_range").Initializer);
        Assert.Equal("kDefaultTensorNumPerLayer", Field(ext, "tensor_num_per_layer").Initializer);
    }

    [Fact]
    public void Struct_fields_keep_template_types_including_nested_ones()
    {
        var decls = Parse("""
            struct Shapes {
              std::vector<IpInfo> local_ip_infos;
              std::map<AscendString, AscendString> options;
              std::pair<int32_t, int32_t> range;
              std::vector<std::vector<uint64_t>> blocks_list;
            };
            """);

        var shapes = Struct(decls, "Shapes");
        Assert.Equal("std::vector<IpInfo>", Field(shapes, "local_ip_infos").Type.ToString());
        Assert.Equal("std::map<AscendString, AscendString>", Field(shapes, "options").Type.ToString());
        Assert.Equal("std::pair<int32_t, int32_t>", Field(shapes, "range").Type.ToString());
        var nested = Field(shapes, "blocks_list").Type;
        Assert.Equal("vector", nested.Simple);
        Assert.Equal("std::vector<uint64_t>", Assert.Single(nested.Args).ToString());
    }

    [Fact]
    public void Fixed_arrays_have_a_length_with_or_without_an_initializer()
    {
        var decls = Parse("struct IpInfo {\n  uint8_t reserved[128];\n};\nstruct RegisterCfg {\n  uint8_t reserved[128] = {0};\n};\n");

        var plain = Field(Struct(decls, "IpInfo"), "reserved");
        Assert.Equal((128, null), (plain.ArrayLength, plain.Initializer));
        var zeroed = Field(Struct(decls, "RegisterCfg"), "reserved");
        Assert.Equal((128, "{0}"), (zeroed.ArrayLength, zeroed.Initializer));
    }

    private const string ClassText = """
        class LlmDataDist {
         public:
          LlmDataDist(uint64_t cluster_id, LlmRole role);
          ~LlmDataDist();
          Status SetRole(LlmRole role, const std::map<AscendString, AscendString> &options = {});
          Status UnlinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                                   int32_t timeout_in_millis = 1000, bool force_flag = false);
          Status AllocateCache(const CacheDesc &cache_desc, Cache &cache);
          Status PullKvCache(const CacheIndex &src_cache_index, const Cache &dst_cache, uint32_t batch_index = 0U,
                             int64_t size = -1, const KvCacheExtParam &ext_param = {});
          void Finalize();
         private:
          class Impl;
          Status Hidden(int x);
          std::unique_ptr<Impl> impl_;
        };
        """;

    [Fact]
    public void Class_members_keep_default_arguments_as_written()
    {
        var decls = Parse(ClassText);

        Assert.Equal("{}", Param(Method(decls, "SetRole"), "options").Default);
        var unlink = Method(decls, "UnlinkLlmClusters");
        Assert.Equal("1000", Param(unlink, "timeout_in_millis").Default);
        Assert.Equal("false", Param(unlink, "force_flag").Default);
        Assert.Null(Param(unlink, "clusters").Default);
        var pull = Method(decls, "PullKvCache");
        Assert.Equal(["", "", "0U", "-1", "{}"], pull.Params.Select(p => p.Default ?? string.Empty));
    }

    [Fact]
    public void Const_and_non_const_references_are_told_apart()
    {
        var decls = Parse(ClassText);

        var allocate = Method(decls, "AllocateCache");
        Assert.Equal((true, true), (Param(allocate, "cache_desc").Type.IsConst, Param(allocate, "cache_desc").Type.IsReference));
        Assert.Equal((false, true), (Param(allocate, "cache").Type.IsConst, Param(allocate, "cache").Type.IsReference));
        Assert.Equal((false, false), (Param(Method(decls, "PullKvCache"), "size").Type.IsConst, Param(Method(decls, "PullKvCache"), "size").Type.IsReference));
    }

    [Fact]
    public void Private_section_with_pimpl_is_skipped_and_constructor_and_destructor_are_members()
    {
        var decls = Parse(ClassText);

        var cls = Assert.Single(decls.Classes);
        Assert.Equal(
            [("LlmDataDist", MethodKind.Constructor), ("~LlmDataDist", MethodKind.Destructor), ("SetRole", MethodKind.Method),
             ("UnlinkLlmClusters", MethodKind.Method), ("AllocateCache", MethodKind.Method), ("PullKvCache", MethodKind.Method),
             ("Finalize", MethodKind.Method)],
            cls.Methods.Select(m => (m.Name, m.Kind)));
        Assert.Equal(["cluster_id", "role"], cls.Methods[0].Params.Select(p => p.Name));
        Assert.Equal("void", Method(decls, "Finalize").Returns!.Name);
        Assert.DoesNotContain(decls.Structs, s => s.Name == "Impl");
    }

    [Fact]
    public void Doxygen_comment_in_chinese_rides_on_the_method_it_precedes()
    {
        var decls = Parse("""
            class LlmDataDist {
             public:
              /**
               * @brief 申请缓存
               * @param [in] cache_desc 缓存描述
               * @param [out] cache 申请到的缓存
               */
              Status AllocateCache(const CacheDesc &cache_desc, Cache &cache);
              Status DeallocateCache(int64_t cache_id);
            };
            """);

        Assert.Equal("@brief 申请缓存\n@param [in] cache_desc 缓存描述\n@param [out] cache 申请到的缓存", Method(decls, "AllocateCache").Doc);
        Assert.Null(Method(decls, "DeallocateCache").Doc);
    }

    [Fact]
    public void Repository_spec_reads_without_diagnostics_into_seventeen_class_members()
    {
        var decls = Parse(GeneratorHarness.SpecHeader);

        var cls = Assert.Single(decls.Classes);
        Assert.Equal(17, cls.Methods.Count);
        Assert.Equal(15, cls.Methods.Count(m => m.Kind == MethodKind.Method));
        Assert.Equal(30, decls.Constants.Count(c => c.Name.StartsWith("LLM_", StringComparison.Ordinal)));
        Assert.Equal(8, decls.Constants.Count(c => c.Name.StartsWith("OPTION_", StringComparison.Ordinal)));
        Assert.Equal(["IpInfo", "ClusterInfo", "CacheIndex", "CacheDesc", "Cache", "KvCacheExtParam", "RegisterCfg"], decls.Structs.Select(s => s.Name));
    }
}
