using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using LlmDataDist.Generators.Emit.Native;
using LlmDataDist.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace LlmDataDist.Generators.Tests;

/// <summary>
/// The native shim generated from the spec: the checked-in files are what the spec generates now, and the mapping
/// rules of docs/native-abi.md hold for spec changes (a new method, field, or list of lists appears on both sides).
/// </summary>
public class NativeShimTests
{
    /// <summary>The repository root, from this file's path (the test project keeps real source paths).</summary>
    private static string RepositoryRoot([CallerFilePath] string callerPath = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerPath)!, "..", ".."));

    private static NativeShimResult GenerateFromRepository()
    {
        var root = RepositoryRoot();
        var specFiles = Directory.GetFiles(Path.Combine(root, NativeShimEmitter.SpecDirectory))
            .Order(StringComparer.Ordinal)
            .Select(p => (NativeShimEmitter.SpecDirectory + "/" + Path.GetFileName(p), File.ReadAllText(p)));
        return NativeShimEmitter.Generate(specFiles);
    }

    private static IReadOnlyList<GeneratedFile> Emit(string declarations, string members)
    {
        var result = SpecBuilderTests.Build(SpecBuilderTests.WithClass(declarations, members));
        Assert.True(result.Spec is not null, string.Join("\n", result.Diagnostics));
        return NativeShimEmitter.Emit(result.Spec!);
    }

    private static string FileOf(IReadOnlyList<GeneratedFile> files, string path) => files.Single(f => f.RelativePath == path).Content;

    /// <summary>The text with wrapped lines joined, so a signature reads the same wherever the emitter breaks it.</summary>
    private static string Flat(string text) => System.Text.RegularExpressions.Regex.Replace(text, @",\n\s+", ", ");

    /// <summary>A minimal spec: the statuses the shim returns, a role enum and a constructor, plus what a test adds.</summary>
    private const string Base = """
        constexpr Status LLM_SUCCESS = 0x0U;
        constexpr Status LLM_FAILED = 0xFFFFFFFFU;
        constexpr Status LLM_PARAM_INVALID = 0x5010B005U;
        constexpr Status LLM_OUT_OF_MEMORY = 0x5010B01CU;
        enum class LlmRole : int32_t { kPrompt = 1, kDecoder = 2 };
        """;

    private const string Constructor = "LlmDataDist(uint64_t cluster_id, LlmRole role);\n";

    [Fact]
    public void Checked_in_generated_files_match_the_spec()
    {
        var result = GenerateFromRepository();
        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors));
        var root = RepositoryRoot();
        var stale = result.Files
            .Where(f =>
            {
                var path = Path.Combine(root, f.RelativePath);
                return !File.Exists(path) || File.ReadAllText(path).Replace("\r\n", "\n") != f.Content;
            })
            .Select(f => f.RelativePath)
            .ToList();
        Assert.True(stale.Count == 0,
            $"stale generated native shim files: {string.Join(", ", stale)}. Regenerate with `{NativeShimEmitter.RegenerateCommand}` "
            + "from the repository root, then review and commit the diff.");
    }

    [Fact]
    public void Repository_spec_gives_the_agreed_entry_points_on_both_sides()
    {
        var files = GenerateFromRepository().Files;
        var header = FileOf(files, NativeShimEmitter.HeaderPath);
        var interop = FileOf(files, NativeShimEmitter.NativeMethodsPath);
        string[] functions =
        [
            "abi_version", "spec_hash", "create", "destroy", "initialize", "finalize", "set_role", "link_llm_clusters",
            "unlink_llm_clusters", "allocate_cache", "deallocate_cache", "pull_kv_cache", "pull_kv_blocks", "copy_kv_cache",
            "copy_kv_blocks", "push_kv_cache", "push_kv_blocks", "register_kv_cache", "unregister_kv_cache",
        ];
        foreach (var function in functions)
        {
            Assert.Contains(" llmdd_" + function + "(", header, StringComparison.Ordinal);
            Assert.Contains("EntryPoint = \"llmdd_" + function + "\"", interop, StringComparison.Ordinal);
        }

        Assert.Contains("uint32_t llmdd_allocate_cache(llmdd_instance* instance, const llmdd_cache_desc* cache_desc, int64_t* out_cache_id, "
            + "uint64_t* out_tensor_addrs, uint64_t out_tensor_addrs_capacity, uint64_t* out_tensor_addrs_len);", Flat(header), StringComparison.Ordinal);
        Assert.Contains("uint32_t llmdd_copy_kv_blocks(llmdd_instance* instance, const llmdd_cache* src_cache, const llmdd_cache* dst_cache, "
            + "const uint64_t* src_blocks, uint64_t src_blocks_len, const llmdd_u64_span* dst_blocks_list, uint64_t dst_blocks_list_len);",
            Flat(header), StringComparison.Ordinal);
        Assert.Contains("public static partial uint Create(ulong clusterId, int role, out NativeInstanceHandle instance);", interop, StringComparison.Ordinal);
        Assert.Contains("public static partial void Destroy(nint instance);", interop, StringComparison.Ordinal);
        Assert.Contains("public static partial uint AbiVersionNative();", interop, StringComparison.Ordinal);
        Assert.Contains("public static partial ulong SpecHashNative();", interop, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cann_style_header_gives_the_same_c_abi_as_our_spec()
    {
        // The shim compiles against the toolkit's llm_datadist.h on hardware: the structs and functions read from a
        // header written like CANN's (Chinese comments, DataType imported) must be the ones of our spec. Status lists
        // differ (a toolkit header lacks the internal codes), so their defines are left out.
        var cann = SpecBuilderTests.Build(GeneratorHarness.Fixture("cann_style_llm_datadist.h"), GeneratorHarness.SpecAnnotations).Spec!;
        var ours = SpecBuilderTests.Build(GeneratorHarness.SpecHeader, GeneratorHarness.SpecAnnotations).Spec!;

        static string Declarations(ApiSpec spec) => string.Join("\n",
            NativeShimEmitter.Emit(spec).Single(f => f.RelativePath == NativeShimEmitter.HeaderPath).Content.Split('\n')
                .Where(l => !l.StartsWith("#define LLMDD_SPEC_HASH", StringComparison.Ordinal) && !System.Text.RegularExpressions.Regex.IsMatch(l, "^#define LLMDD_LLM_[A-Z_]+ 0x[0-9A-F]{8}u$")
                    && !l.StartsWith("/*", StringComparison.Ordinal)
                    && !l.StartsWith(" *", StringComparison.Ordinal)));

        Assert.Equal(Declarations(ours), Declarations(cann));
    }

    [Fact]
    public void Spec_hash_is_the_same_constant_on_both_sides_and_follows_the_model()
    {
        var files = GenerateFromRepository().Files;
        var header = FileOf(files, NativeShimEmitter.HeaderPath);
        var interop = FileOf(files, NativeShimEmitter.NativeMethodsPath);
        var spec = SpecBuilderTests.Build(File.ReadAllText(Path.Combine(RepositoryRoot(), NativeShimEmitter.SpecDirectory, "llm_datadist.h")),
            File.ReadAllText(Path.Combine(RepositoryRoot(), NativeShimEmitter.SpecDirectory, "llm_datadist.annotations"))).Spec!;
        var hash = NativeAbi.SpecHash(spec).ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Contains("#define LLMDD_SPEC_HASH UINT64_C(0x" + hash + ")", header, StringComparison.Ordinal);
        Assert.Contains("public const ulong SpecHash = 0x" + hash + "UL;", interop, StringComparison.Ordinal);
        // FNV-1a 64 reference values: the empty text is the offset basis, "a" a published test vector.
        Assert.Equal(0xcbf29ce484222325UL, NativeAbi.Fnv1a64(string.Empty));
        Assert.Equal(0xaf63dc4c8601ec8cUL, NativeAbi.Fnv1a64("a"));
    }

    [Fact]
    public void A_new_method_changes_the_hash_and_a_new_summary_does_not()
    {
        static ulong HashOf(string members) =>
            NativeAbi.SpecHash(SpecBuilderTests.Build(SpecBuilderTests.WithClass(Base, Constructor + members)).Spec!);

        var before = HashOf("Status Initialize();");
        Assert.Equal(before, HashOf("/** @brief Starts it. */\nStatus Initialize();"));
        Assert.NotEqual(before, HashOf("Status Initialize();\nStatus Drain(int64_t cache_id);"));
        Assert.NotEqual(before, HashOf("Status Initialize(int32_t flags);"));
    }

    [Fact]
    public void A_new_method_with_a_list_of_lists_appears_in_the_header_the_shim_and_the_interop()
    {
        var files = Emit(Base, Constructor + "Status Initialize();\nStatus SpreadBlocks(const std::vector<std::vector<uint64_t>> &block_lists, bool force = false);");

        Assert.Contains("""
            typedef struct llmdd_u64_span {
              const uint64_t* ptr;
              uint64_t len;
            } llmdd_u64_span;
            """, FileOf(files, NativeShimEmitter.HeaderPath), StringComparison.Ordinal);
        Assert.Contains("LLMDD_API uint32_t llmdd_spread_blocks(llmdd_instance* instance, const llmdd_u64_span* block_lists, uint64_t block_lists_len, uint8_t force);",
            Flat(FileOf(files, NativeShimEmitter.HeaderPath)), StringComparison.Ordinal);
        var source = FileOf(files, NativeShimEmitter.SourcePath);
        Assert.Contains("std::vector<std::vector<uint64_t>> block_lists_value;", source, StringComparison.Ordinal);
        Assert.Contains("LLMDD_TRY(ToNativeList(block_lists, block_lists_len, block_lists_value));", source, StringComparison.Ordinal);
        Assert.Contains("instance->engine.SpreadBlocks(block_lists_value, force != 0)", Flat(source), StringComparison.Ordinal);
        var interop = FileOf(files, NativeShimEmitter.NativeMethodsPath);
        Assert.Contains("EntryPoint = \"llmdd_spread_blocks\"", interop, StringComparison.Ordinal);
        Assert.Contains("public static partial uint SpreadBlocks(NativeInstanceHandle instance, NativeU64Span* blockLists, ulong blockListsLen, byte force);",
            Flat(interop), StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_struct_field_is_lowered_on_both_sides_and_converted_in_the_shim()
    {
        const string declarations = Base + """

            enum class Tier : uint32_t { kHot = 0U, kCold = 1U };
            struct Window {
              int64_t start = 0;
              std::vector<int64_t> dims;
              AscendString label;
              std::pair<int32_t, int32_t> range = {-1, -1};
              bool pinned = false;
              Tier tier = Tier::kHot;
              uint8_t reserved[64];
            };
            """;
        var files = Emit(declarations, Constructor + "Status Watch(const Window &window, int64_t &handle);");

        Assert.Contains("""
            typedef struct llmdd_window {
              int64_t start;
              const int64_t* dims;
              uint64_t dims_len;
              llmdd_str label;
              int32_t range_first;
              int32_t range_second;
              uint8_t pinned;
              uint32_t tier;
            } llmdd_window;
            """, FileOf(files, NativeShimEmitter.HeaderPath), StringComparison.Ordinal);
        Assert.Contains("LLMDD_API uint32_t llmdd_watch(llmdd_instance* instance, const llmdd_window* window, int64_t* out_handle);",
            Flat(FileOf(files, NativeShimEmitter.HeaderPath)), StringComparison.Ordinal);
        Assert.Contains("""
            internal unsafe struct NativeWindow
            {
                public long Start;
                public long* Dims;
                public ulong DimsLen;
                public NativeStr Label;
                public int RangeFirst;
                public int RangeSecond;
                public byte Pinned;
                public uint Tier;
            }
            """, FileOf(files, NativeShimEmitter.NativeMethodsPath), StringComparison.Ordinal);
        Assert.Contains("public static partial uint Watch(NativeInstanceHandle instance, NativeWindow* window, long* outHandle);",
            Flat(FileOf(files, NativeShimEmitter.NativeMethodsPath)), StringComparison.Ordinal);
        Assert.Contains("""
            uint32_t ToNative(const llmdd_window& in, llm_datadist::Window& out) {
              out.start = in.start;
              LLMDD_TRY(ToNativeList(in.dims, in.dims_len, out.dims));
              LLMDD_TRY(ToNative(in.label, out.label));
              out.range.first = in.range_first;
              out.range.second = in.range_second;
              out.pinned = in.pinned != 0;
              LLMDD_TRY(ToNative(in.tier, out.tier));
              return kSuccess;
            }
            """, FileOf(files, NativeShimEmitter.SourcePath), StringComparison.Ordinal);
        // The out scalar is read first and written back after the call, like the C++ reference it stands for.
        Assert.Contains("int64_t handle_value{};\n    handle_value = *out_handle;", FileOf(files, NativeShimEmitter.SourcePath), StringComparison.Ordinal);
        Assert.Contains("*out_handle = static_cast<int64_t>(handle_value);", FileOf(files, NativeShimEmitter.SourcePath), StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_struct_keeps_one_byte_and_an_out_status_list_gets_a_capacity_and_a_length()
    {
        var files = Emit(Base + "\nstruct Cfg { uint8_t reserved[128] = {0}; };",
            Constructor + "Status Apply(const Cfg &cfg, std::vector<Status> &rets);");

        Assert.Contains("typedef struct llmdd_cfg {\n  uint8_t unused;\n} llmdd_cfg;", FileOf(files, NativeShimEmitter.HeaderPath), StringComparison.Ordinal);
        Assert.Contains("llmdd_apply(llmdd_instance* instance, const llmdd_cfg* cfg, uint32_t* rets, uint64_t rets_capacity, uint64_t* rets_len);",
            Flat(FileOf(files, NativeShimEmitter.HeaderPath)), StringComparison.Ordinal);
        Assert.Contains("CopyOutList(rets_value, rets, rets_capacity, rets_len);", FileOf(files, NativeShimEmitter.SourcePath), StringComparison.Ordinal);
    }

    [Fact]
    public void Enums_without_a_fixed_underlying_type_are_range_checked_and_fixed_ones_pass_through()
    {
        var source = FileOf(Emit(Base + "\nenum Kind { K_A = 0, K_B = 5, K_C = 9 };\nstruct S { Kind kind; };", Constructor + "Status Use(const S &s);"),
            NativeShimEmitter.SourcePath);

        // 0..9 needs four bits, so C++ defines [0, 15] for Kind.
        Assert.Contains("if (in < 0 || in > 15) {", source, StringComparison.Ordinal);
        Assert.Contains("// A fixed underlying type: every value is a valid LlmRole; the engine judges it.", source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_type_without_a_rule_is_an_error_naming_it_not_a_guess()
    {
        var result = SpecBuilderTests.Build(SpecBuilderTests.WithClass(Base,
            Constructor + "Status Deep(const std::vector<std::vector<std::vector<uint64_t>>> &lists);"));

        var error = Assert.Throws<NotSupportedException>(() => NativeShimEmitter.Emit(result.Spec!));
        Assert.Contains("Deep.lists", error.Message, StringComparison.Ordinal);
        Assert.Contains("List<List<ULong>>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interop_structs_have_the_layout_the_shim_asserts()
    {
        // Compile the generated C# (with stand-in bodies for the LibraryImport methods) and measure every struct the
        // way the runtime marshals it; the same sizes and offsets are static_asserts in llmdd_shim.cpp.
        var files = GenerateFromRepository().Files;
        var spec = SpecBuilderTests.Build(File.ReadAllText(Path.Combine(RepositoryRoot(), NativeShimEmitter.SpecDirectory, "llm_datadist.h")),
            File.ReadAllText(Path.Combine(RepositoryRoot(), NativeShimEmitter.SpecDirectory, "llm_datadist.annotations"))).Spec!;
        var abi = NativeAbi.Of(spec);
        var assembly = CompileInterop(FileOf(files, NativeShimEmitter.NativeMethodsPath));
        foreach (var s in abi.Structs)
        {
            var type = assembly.GetType(NativeShimEmitter.InteropNamespace + "." + s.ManagedName, throwOnError: true)!;
            Assert.True(s.Size == Marshal.SizeOf(type), $"{s.ManagedName}: C# {Marshal.SizeOf(type)} bytes, C {s.Size}");
            foreach (var f in s.Fields)
            {
                Assert.True(f.Offset == (int)Marshal.OffsetOf(type, f.ManagedName), $"{s.ManagedName}.{f.ManagedName}: C# offset {Marshal.OffsetOf(type, f.ManagedName)}, C {f.Offset}");
            }
        }

        Assert.Equal(abi.Functions.Count, assembly.GetType(NativeShimEmitter.InteropNamespace + ".NativeMethods")!
            .GetMethods().Count(m => m.IsStatic && m.DeclaringType!.Name == "NativeMethods"));
    }

    private static System.Reflection.Assembly CompileInterop(string interop)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview);
        var tree = CSharpSyntaxTree.ParseText(interop, parse);
        var bodies = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
            .Select(m => m.WithAttributeLists(default)
                .WithExpressionBody(SyntaxFactory.ArrowExpressionClause(SyntaxFactory.ParseExpression("throw null!")))
                .ToFullString());
        var stubs = $$"""
            namespace {{NativeShimEmitter.InteropNamespace}};
            internal sealed class NativeInstanceHandle : System.Runtime.InteropServices.SafeHandle
            {
                public NativeInstanceHandle() : base(0, true) { }
                public override bool IsInvalid => handle == 0;
                protected override bool ReleaseHandle() => true;
            }
            internal static unsafe partial class NativeMethods
            {
            {{string.Join("\n", bodies)}}
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Interop" + Guid.NewGuid().ToString("N"), [tree, CSharpSyntaxTree.ParseText(stubs, parse)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var emitted = compilation.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        // The checked-in file builds with warnings as errors in the backend: it must not add any of its own.
        var warnings = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree == tree).ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        stream.Position = 0;
        return new AssemblyLoadContext("interop", isCollectible: true).LoadFromStream(stream);
    }
}
