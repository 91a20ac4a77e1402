using Microsoft.CodeAnalysis;

namespace LlmDataDist.Generators.Tests;

/// <summary>
/// The generator pointed at a header shaped like an installed CANN toolkit's (Fixtures/cann_style_llm_datadist.h)
/// plus the repository annotations: same SDK surface, DataType built from the annotations table.
/// </summary>
public class CannStyleHeaderTests
{
    private const string FixturePath = "cann/llm_datadist.h";

    private static readonly Lazy<(GeneratorDriverRunResult Result, Compilation Output, IReadOnlyList<Diagnostic> Diagnostics)> Generated = new(() =>
    {
        var texts = new AdditionalText[]
        {
            new SpecText(FixturePath, GeneratorHarness.Fixture("cann_style_llm_datadist.h")),
            new SpecText(GeneratorHarness.AnnotationsPath, GeneratorHarness.SpecAnnotations),
        };
        var (result, output, diagnostics) = GeneratorHarness.Run(texts);
        return (result, output, diagnostics);
    });

    private static INamedTypeSymbol Type(string metadataName)
    {
        var type = Generated.Value.Output.GetTypeByMetadataName(metadataName);
        Assert.True(type is not null, $"{metadataName} is not in the output compilation");
        return type!;
    }

    [Fact]
    public void Generated_code_compiles()
    {
        Assert.Null(Generated.Value.Result.Results.Single().Exception);
        var problems = Generated.Value.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void Only_diagnostics_are_warnings_for_annotations_of_what_this_header_lacks()
    {
        // This header has only the public status codes and the CE option set; the annotations also cover the
        // internal codes and OPTION_GLOBAL_RESOURCE_CONFIG, which are reported and otherwise ignored.
        string[] expected =
        [
            "[option OPTION_GLOBAL_RESOURCE_CONFIG]",
            "[status LLM_REPEAT_REQUEST]", "[status LLM_REQUEST_ALREADY_COMPLETED]", "[status LLM_ENGINE_FINALIZED]",
            "[status LLM_PREFIX_ALREADY_EXIST]", "[status LLM_PREFIX_NOT_EXIST]", "[status LLM_SEQ_LEN_OVER_LIMIT]",
            "[status LLM_NO_FREE_BLOCK]", "[status LLM_BLOCKS_OUT_OF_MEMORY]", "[status LLM_CACHE_KEY_ALREADY_EXIST]",
            "[status LLM_CACHE_KEY_NOT_EXIST]", "[status LLM_BLOCK_POOL_FULL]", "[status LLM_CACHE_ID_ALREADY_EXIST]",
        ];

        var diagnostics = Generated.Value.Diagnostics;
        Assert.All(diagnostics, d => Assert.Equal(("LLMDD0003", DiagnosticSeverity.Warning), (d.Id, d.Severity)));
        Assert.All(diagnostics, d => Assert.Equal(GeneratorHarness.AnnotationsPath, d.Location.GetLineSpan().Path));
        var named = diagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
            .Select(m => m.Substring(m.IndexOf('[', StringComparison.Ordinal), m.IndexOf(']', StringComparison.Ordinal) - m.IndexOf('[', StringComparison.Ordinal) + 1));
        Assert.Equal(expected.Order(StringComparer.Ordinal), named.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Generates_all_seventeen_members_on_the_contract_and_the_client()
    {
        var contract = Type("LlmDataDist.ILlmDataDistBackend");
        var client = Type("LlmDataDist.LlmDataDistClient");
        var factory = Type("LlmDataDist.ILlmDataDistBackendFactory");

        // Constructor: the factory's Create(cluster id, role), and the client's Create over a factory.
        var create = Assert.Single(factory.GetMembers("Create").OfType<IMethodSymbol>());
        Assert.Equal(["ulong clusterId", "LlmDataDist.LlmRole role"], create.Parameters.Select(p => p.Type.ToDisplayString() + " " + p.Name));
        var clientCreate = Assert.Single(client.GetMembers("Create").OfType<IMethodSymbol>());
        Assert.Equal(["factory", "clusterId", "role", "options"], clientCreate.Parameters.Select(p => p.Name));
        // Destructor: Dispose on the contract, DisposeAsync on the client.
        Assert.Contains(contract.AllInterfaces, i => i.ToDisplayString() == "System.IDisposable");
        Assert.Contains(client.AllInterfaces, i => i.ToDisplayString() == "System.IAsyncDisposable");
        // The 15 methods, Finalize as ShutdownAsync.
        var contractMethods = contract.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).Select(m => m.Name);
        Assert.Equal(SpecGenerationTests.ContractMethods.Order(StringComparer.Ordinal), contractMethods.Order(StringComparer.Ordinal));
        var clientMethods = client.GetMembers().OfType<IMethodSymbol>().Where(m => m.DeclaredAccessibility == Accessibility.Public).Select(m => m.Name).ToHashSet();
        Assert.Superset(SpecGenerationTests.ContractMethods.ToHashSet(), clientMethods);
        Assert.DoesNotContain("FinalizeAsync", clientMethods);
    }

    [Fact]
    public void DataType_members_and_values_come_from_the_annotations_table()
    {
        var table = GeneratorHarness.SpecAnnotations.Split('\n')
            .SkipWhile(l => !l.StartsWith("[datatypes DataType]", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.StartsWith("DT_", StringComparison.Ordinal))
            .Select(l => l.Split([' ', '='], StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[0], parts => int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        var dataType = Type("LlmDataDist.DataType");

        var members = dataType.GetMembers().OfType<IFieldSymbol>().ToList();
        Assert.Equal(41, table.Count);
        Assert.Equal(table.Count, members.Count);
        Assert.Equal(table.Values.Order(), members.Select(m => (int)m.ConstantValue!).Order());
        Assert.Equal(28, members.Single(m => m.Name == "Undefined").ConstantValue);
        Assert.Equal(35, members.Single(m => m.Name == "Float8E5m2").ConstantValue);
    }

    [Fact]
    public void Status_enum_has_only_the_public_codes_of_this_header()
    {
        var expected = SpecGenerationTests.StatusConstants(GeneratorHarness.Fixture("cann_style_llm_datadist.h"));
        var status = Type("LlmDataDist.LlmStatus");

        var members = status.GetMembers().OfType<IFieldSymbol>().ToDictionary(f => f.Name, f => (uint)f.ConstantValue!);
        Assert.Equal(18, expected.Count);
        Assert.Equal(expected.Count, members.Count);
        Assert.All(expected, e => Assert.Equal(e.Value, members[SpecGenerationTests.PascalWithoutPrefix(e.Name, "LLM_")]));
    }

    [Fact]
    public void Contract_and_client_are_the_same_as_from_the_repository_spec_apart_from_docs()
    {
        // Chinese Doxygen changes only the doc comments that the annotations do not override.
        var repository = GeneratorHarness.Driver(GeneratorHarness.Spec()).RunGenerators(GeneratorHarness.Compilation(withRuntime: false)).GetRunResult();
        foreach (var hint in new[] { "ILlmDataDistBackend.g.cs", "LlmDataDistClient.g.cs", "CacheDesc.g.cs", "KvCacheExtParam.g.cs", "LlmRole.g.cs" })
        {
            Assert.Equal(Code(repository, hint), Code(Generated.Value.Result, hint));
        }

        static List<string> Code(GeneratorDriverRunResult run, string hint) =>
            run.Results.Single().GeneratedSources.Single(s => s.HintName == hint).SourceText.ToString()
                .Split('\n').Where(l => !l.TrimStart().StartsWith("///", StringComparison.Ordinal)).ToList();
    }
}
