using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>DisposeAsync finalizes exactly once; a disposed or cancelled client never reaches its backend.</summary>
public class LifetimeTests
{
    [Fact]
    public async Task DisposeAsync_calls_shutdown_then_dispose_exactly_once_even_when_called_twice()
    {
        var (client, backend) = NewClient();

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.Equal(["Shutdown", "Dispose"], backend.Methods);
    }

    [Fact]
    public async Task DisposeAsync_disposes_the_backend_even_when_shutdown_throws()
    {
        var (client, backend) = NewClient();
        backend.OnCall = call => { if (call.Method == "Shutdown") { throw new InvalidOperationException("shutdown failed"); } };

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.DisposeAsync());
        await client.DisposeAsync();

        Assert.Equal(["Shutdown", "Dispose"], backend.Methods);
    }

    [Fact]
    public async Task ShutdownAsync_finalizes_without_disposing_so_the_instance_can_be_initialized_again()
    {
        var (client, backend) = NewClient();

        await client.ShutdownAsync();
        await client.InitializeAsync(Options());

        Assert.Equal(["Shutdown", "Initialize"], backend.Methods);
    }

    [Theory]
    [MemberData(nameof(ValidCalls.OperationsAndFinalize), MemberType = typeof(ValidCalls))]
    public async Task Any_call_after_dispose_throws_ObjectDisposedException_without_reaching_the_backend(string operation)
    {
        var (client, backend) = NewClient();
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ValidCalls.Invoke(client, operation));

        Assert.Equal(["Shutdown", "Dispose"], backend.Methods);
    }

    [Fact]
    public async Task Dispose_check_comes_before_argument_checks()
    {
        var (client, _) = NewClient();
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.LinkLlmClustersAsync([]));
    }

    [Theory]
    [MemberData(nameof(ValidCalls.OperationsAndFinalize), MemberType = typeof(ValidCalls))]
    public async Task An_already_cancelled_token_throws_without_reaching_the_backend(string operation)
    {
        var (client, backend) = NewClient();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ValidCalls.Invoke(client, operation, new CancellationToken(true)));

        Assert.Empty(backend.Calls);
    }
}
