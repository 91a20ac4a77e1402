using Microsoft.CodeAnalysis;

namespace LlmDataDist.Generators.Tests;

public class SpecGenerationTests
{
    [Fact]
    public void Repository_spec_generates_code_that_compiles_without_diagnostics()
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Spec());

        if (result.Results.Single().Exception is { } ex) { Assert.Fail(ex.ToString()); }
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToList();
        Assert.Empty(errors);
    }
}
