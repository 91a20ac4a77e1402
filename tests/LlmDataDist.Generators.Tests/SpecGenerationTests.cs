using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace LlmDataDist.Generators.Tests;

/// <summary>The repository spec generates an SDK that compiles and says what the header says.</summary>
public partial class SpecGenerationTests
{
    // One run with the runtime sources (a full compile) shared by the semantic checks.
    private static readonly Lazy<(GeneratorDriverRunResult Result, Compilation Output, IReadOnlyList<Diagnostic> Diagnostics)> Generated = new(() =>
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Spec());
        return (result, output, diagnostics);
    });

    /// <summary>The 15 C++ methods as the contract names them (Finalize is C#'s finalizer, so the contract says Shutdown).</summary>
    internal static readonly string[] ContractMethods =
    [
        "InitializeAsync", "ShutdownAsync", "SetRoleAsync", "LinkLlmClustersAsync", "UnlinkLlmClustersAsync", "AllocateCacheAsync",
        "DeallocateCacheAsync", "PullKvCacheAsync", "PullKvBlocksAsync", "CopyKvCacheAsync", "CopyKvBlocksAsync", "PushKvCacheAsync",
        "PushKvBlocksAsync", "RegisterKvCacheAsync", "UnregisterKvCacheAsync",
    ];

    [Fact]
    public void Repository_spec_generates_code_that_compiles_without_diagnostics()
    {
        var (result, output, diagnostics) = Generated.Value;

        Assert.Null(result.Results.Single().Exception);
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        Assert.Empty(errors);
    }

    [Fact]
    public void Every_status_constant_of_the_header_is_an_LlmStatus_member_with_its_value()
    {
        var expected = StatusConstants(GeneratorHarness.SpecHeader);
        var status = Type("LlmDataDist.LlmStatus");

        Assert.Equal(TypeKind.Enum, status.TypeKind);
        Assert.Equal(SpecialType.System_UInt32, status.EnumUnderlyingType!.SpecialType);
        var members = status.GetMembers().OfType<IFieldSymbol>().ToDictionary(f => f.Name, f => Convert.ToUInt32(f.ConstantValue, CultureInfo.InvariantCulture));
        Assert.Equal(30, expected.Count);
        foreach (var (nativeName, value) in expected)
        {
            var managed = PascalWithoutPrefix(nativeName, "LLM_");
            Assert.True(members.TryGetValue(managed, out var actual), $"LlmStatus has no member {managed} for {nativeName}");
            Assert.Equal(value, actual);
        }

        Assert.Equal(expected.Count, members.Count);
    }

    [Fact]
    public void Every_option_key_of_the_header_is_an_LlmOptionKeys_constant()
    {
        var expected = Regex.Matches(GeneratorHarness.SpecHeader, @"constexpr const char (OPTION_\w+)\[\] = ""([^""]+)"";")
            .Select(m => m.Groups[2].Value).Order(StringComparer.Ordinal).ToList();
        var keys = Type("LlmDataDist.LlmOptionKeys");

        var constants = keys.GetMembers().OfType<IFieldSymbol>().Where(f => f.IsConst && f.Type.SpecialType == SpecialType.System_String)
            .Select(f => (string)f.ConstantValue!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(8, expected.Count);
        Assert.Equal(expected, constants);
    }

    [Fact]
    public void Backend_contract_has_exactly_the_fifteen_header_methods_and_is_disposable()
    {
        var contract = Type("LlmDataDist.ILlmDataDistBackend");

        Assert.Equal(TypeKind.Interface, contract.TypeKind);
        var methods = contract.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).Select(m => m.Name).Order(StringComparer.Ordinal);
        Assert.Equal(ContractMethods.Order(StringComparer.Ordinal), methods);
        Assert.Contains(contract.AllInterfaces, i => i.ToDisplayString() == "System.IDisposable");
        foreach (var method in contract.GetMembers().OfType<IMethodSymbol>())
        {
            Assert.Equal("cancellationToken", method.Parameters.Last().Name);
        }
    }

    [Fact]
    public void Factory_creates_a_backend_from_the_constructor_arguments()
    {
        var factory = Type("LlmDataDist.ILlmDataDistBackendFactory");

        var create = Assert.Single(factory.GetMembers("Create").OfType<IMethodSymbol>());
        Assert.Equal(["ulong clusterId", "LlmDataDist.LlmRole role"], create.Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name));
        Assert.Equal("LlmDataDist.ILlmDataDistBackend", create.ReturnType.ToDisplayString());
    }

    [Fact]
    public void Out_parameters_come_back_in_results_and_header_defaults_become_optional_parameters()
    {
        var contract = Type("LlmDataDist.ILlmDataDistBackend");
        var client = Type("LlmDataDist.LlmDataDistClient");

        // Cache &cache (non-const reference) is an out-value: not a parameter, a field of the result.
        var allocate = (IMethodSymbol)contract.GetMembers("AllocateCacheAsync").Single();
        Assert.DoesNotContain(allocate.Parameters, p => p.Name == "cache");
        Assert.Equal("System.Threading.Tasks.ValueTask<LlmDataDist.AllocateCacheResult>", allocate.ReturnType.ToDisplayString());
        Assert.Contains(Type("LlmDataDist.AllocateCacheResult").GetMembers(), m => m.Name == "Cache");

        // uint32_t batch_index = 0U; int64_t size = -1 keep their values in the client.
        var pull = (IMethodSymbol)client.GetMembers("PullKvCacheAsync").Single();
        var batchIndex = pull.Parameters.Single(p => p.Name == "batchIndex");
        Assert.True(batchIndex.HasExplicitDefaultValue);
        Assert.Equal(0U, batchIndex.ExplicitDefaultValue);
        Assert.Equal(-1L, pull.Parameters.Single(p => p.Name == "size").ExplicitDefaultValue);
        Assert.False(pull.Parameters.Single(p => p.Name == "srcCacheIndex").HasExplicitDefaultValue);
    }

    private static INamedTypeSymbol Type(string metadataName)
    {
        var type = Generated.Value.Output.GetTypeByMetadataName(metadataName);
        Assert.True(type is not null, $"{metadataName} is not in the output compilation");
        return type!;
    }

    /// <summary>The status constants as the header spells them, read without the generator.</summary>
    internal static List<(string Name, uint Value)> StatusConstants(string header) =>
        StatusConstant().Matches(header)
            .Select(m => (m.Groups[1].Value, uint.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
            .ToList();

    /// <summary><c>LLM_KV_CACHE_NOT_EXIST</c> → <c>KvCacheNotExist</c>: what SDK users write.</summary>
    internal static string PascalWithoutPrefix(string name, string prefix) =>
        string.Concat(name.Substring(prefix.Length).Split('_').Select(part => part[..1] + part[1..].ToLowerInvariant()));

    [GeneratedRegex(@"constexpr Status (LLM_\w+) = 0x([0-9A-Fa-f]+)U;")]
    private static partial Regex StatusConstant();
}
