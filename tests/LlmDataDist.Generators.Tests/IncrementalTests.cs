using System.Reflection;
using System.Text.RegularExpressions;
using LlmDataDist.Generators.Emit;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LlmDataDist.Generators.Tests;

/// <summary>The generator caches what did not change and regenerates exactly what did.</summary>
public class IncrementalTests
{
    private static readonly IncrementalStepRunReason[] Reused = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    private static readonly CSharpCompilation Compilation = GeneratorHarness.Compilation(withRuntime: false);

    private static (GeneratorDriver Driver, SpecText Header) FirstRun(string? header = null)
    {
        var headerText = new SpecText(GeneratorHarness.HeaderPath, header ?? GeneratorHarness.SpecHeader);
        var driver = GeneratorHarness.Driver([headerText, new SpecText(GeneratorHarness.AnnotationsPath, GeneratorHarness.SpecAnnotations)])
            .RunGenerators(Compilation);
        return (driver, headerText);
    }

    private static GeneratorDriver Rerun(GeneratorDriver driver, SpecText old, string newText) =>
        driver.ReplaceAdditionalText(old, new SpecText(old.Path, newText)).RunGenerators(Compilation);

    private static List<(string Hint, IncrementalStepRunReason Reason)> UnitOutputs(GeneratorDriver driver)
    {
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result.TrackedSteps[Steps.Units].SelectMany(step => step.Outputs).Select(o => (((CodeUnit)o.Value).HintName, o.Reason)).ToList();
    }

    private static Dictionary<string, string> Sources(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    public static TheoryData<string> WhitespaceEdits => new(["blank lines at the end", "blank lines in the middle", "indentation", "CRLF line endings", "spaces around punctuation"]);

    private static string ApplyWhitespaceEdit(string header, string edit) => edit switch
    {
        "blank lines at the end" => header + "\n\n\n",
        // Moves every later declaration down: positions change, the model must not.
        "blank lines in the middle" => header.Replace("struct IpInfo {", "\n\n\n\nstruct IpInfo {", StringComparison.Ordinal),
        "indentation" => header.Replace("\n  ", "\n\t    ", StringComparison.Ordinal),
        "CRLF line endings" => header.Replace("\n", "\r\n", StringComparison.Ordinal),
        "spaces around punctuation" => header.Replace(" &", " & ", StringComparison.Ordinal).Replace("std::vector<", "std::vector< ", StringComparison.Ordinal),
        _ => throw new ArgumentOutOfRangeException(nameof(edit), edit, null),
    };

    [Theory]
    [MemberData(nameof(WhitespaceEdits))]
    public void Whitespace_only_header_edit_reuses_every_unit(string edit)
    {
        var (driver, header) = FirstRun();
        var before = Sources(driver);
        var edited = ApplyWhitespaceEdit(GeneratorHarness.SpecHeader, edit);
        Assert.NotEqual(GeneratorHarness.SpecHeader, edited);

        driver = Rerun(driver, header, edited);

        var outputs = UnitOutputs(driver);
        Assert.Equal(14, outputs.Count);
        Assert.All(outputs, o => Assert.True(Reused.Contains(o.Reason), $"{o.Hint} was {o.Reason}"));
        Assert.Equal(before, Sources(driver));
    }

    [Fact]
    public void Unrelated_csharp_edit_reuses_every_step()
    {
        var (driver, _) = FirstRun();

        driver = driver.RunGenerators(Compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace User; public class Unrelated { public int X => 1; }", new CSharpParseOptions(LanguageVersion.Preview))));

        var result = driver.GetRunResult().Results.Single();
        var outputs = UnitOutputs(driver);
        Assert.Equal(14, outputs.Count);
        Assert.All(outputs, o => Assert.True(Reused.Contains(o.Reason), $"{o.Hint} was {o.Reason}"));
        Assert.All(result.TrackedSteps[Steps.Parse].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, Reused));
        Assert.All(result.TrackedSteps[Steps.Build].SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, Reused));
    }

    [Fact]
    public void Adding_a_parameter_to_a_header_method_regenerates_only_the_contract_and_the_client()
    {
        var (driver, header) = FirstRun();
        var changed = Regex.Replace(GeneratorHarness.SpecHeader, @"(Status PullKvCache\([^;]*)\);", "$1, bool sync_flag = false);");
        Assert.NotEqual(GeneratorHarness.SpecHeader, changed);

        driver = Rerun(driver, header, changed);

        var outputs = UnitOutputs(driver);
        string[] regenerated = ["ILlmDataDistBackend.g.cs", "LlmDataDistClient.g.cs"];
        Assert.Equal(14, outputs.Count);
        foreach (var (hint, reason) in outputs)
        {
            if (regenerated.Contains(hint))
            {
                Assert.True(reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New, $"{hint} was {reason}");
            }
            else
            {
                Assert.True(Reused.Contains(reason), $"{hint} was {reason}");
            }
        }

        var sources = Sources(driver);
        Assert.Matches(@"PullKvCacheAsync\([^)]*long size, global::LlmDataDist\.KvCacheExtParam extParam, bool syncFlag, global::System\.Threading\.CancellationToken", sources["ILlmDataDistBackend.g.cs"]);
        Assert.Matches(@"PullKvCacheAsync\([^)]*bool syncFlag = false, global::System\.Threading\.CancellationToken", sources["LlmDataDistClient.g.cs"]);
        Assert.Contains("_backend.PullKvCacheAsync(srcCacheIndex, dstCache, batchIndex, size, extParam, syncFlag, cancellationToken)", sources["LlmDataDistClient.g.cs"], StringComparison.Ordinal);
        Assert.DoesNotContain("syncFlag", sources["CacheDesc.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_added_to_the_spec_compiles_with_the_hand_written_client_rules_unchanged()
    {
        // The hand-written validation reads a generated arguments record, so a new parameter needs no hand edit.
        var changed = Regex.Replace(GeneratorHarness.SpecHeader, @"(Status PullKvCache\([^;]*)\);", "$1, bool sync_flag = false);");
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Spec(header: changed));

        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }

    [Fact]
    public void Editing_one_struct_regenerates_only_that_struct()
    {
        var (driver, header) = FirstRun();
        var changed = GeneratorHarness.SpecHeader.Replace("  uint16_t port = 0U;\n", "  uint16_t port = 0U;\n  uint32_t flags = 0U;\n", StringComparison.Ordinal);
        Assert.NotEqual(GeneratorHarness.SpecHeader, changed);

        driver = Rerun(driver, header, changed);

        var notReused = UnitOutputs(driver).Where(o => !Reused.Contains(o.Reason)).Select(o => o.Hint);
        Assert.Equal(["IpInfo.g.cs"], notReused);
        Assert.Contains("public uint Flags { get; init; } = 0U;", Sources(driver)["IpInfo.g.cs"], StringComparison.Ordinal);
    }

    // ---- what crosses a step ------------------------------------------------------------------------------

    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location), typeof(AdditionalText)];

    [Fact]
    public void No_tracked_step_output_holds_symbols_syntax_compilations_locations_or_additional_texts()
    {
        // A header with a diagnostic, so diagnostics (and their source spots) are part of what is walked.
        var (driver, _) = FirstRun(GeneratorHarness.SpecHeader + "\nunion Bad { int a; };\n");
        var result = driver.GetRunResult().Results.Single();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var found = new List<string>();
        var typesSeen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var step in new[] { Steps.Parse, Steps.Build, Steps.Units })
        {
            foreach (var (value, _) in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Walk(value, step, visited, found, typesSeen);
            }
        }

        Assert.Empty(found);
        // The walk reached the depths of the model, so an empty result means something.
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { "ParsedFile", "BuildResult", "CodeUnit", "ParamSpec", "SpecDiagnostic", "SourceSpot", "RawParam" }, typesSeen);
    }

    [Fact]
    public void Graph_walk_finds_a_location_hidden_in_a_collection()
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var found = new List<string>();

        Walk(new { Items = new List<object> { "text", new KeyValuePair<int, Location>(1, Location.None) } }, "root", visited, found, []);

        Assert.Single(found);
    }

    private static void Walk(object? value, string path, HashSet<object> visited, List<string> found, HashSet<string> typesSeen, int depth = 0)
    {
        if (value is null || value is string || value is MemberInfo || value is Pointer)
        {
            return;
        }

        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is decimal)
        {
            return;
        }

        if (Forbidden.FirstOrDefault(f => f.IsInstanceOfType(value)) is { } forbidden)
        {
            found.Add($"{path}: {forbidden.Name} ({type.Name})");
            return;
        }

        if (!type.IsValueType && !visited.Add(value))
        {
            return;
        }

        Assert.True(depth < 200, $"object graph deeper than 200 at {path}");
        typesSeen.Add(type.Name);
        if (value is Array array)
        {
            var i = 0;
            foreach (var item in array)
            {
                Walk(item, $"{path}[{i++}]", visited, found, typesSeen, depth + 1);
            }

            return;
        }

        // Fields, not properties: a collection's items live in its fields (List<T>._items, EquatableArray._items).
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPointer)
                {
                    Walk(field.GetValue(value), path + "." + field.Name, visited, found, typesSeen, depth + 1);
                }
            }
        }
    }
}
