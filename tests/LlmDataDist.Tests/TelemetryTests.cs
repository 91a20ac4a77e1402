using System.Diagnostics;
using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>One duration measurement and one span per call, tagged with the operation and the status, timed by the options' clock.</summary>
public class TelemetryTests : IDisposable
{
    private readonly TelemetryCapture _capture = new();
    private readonly LlmDataDistClient _client;
    private readonly RecordingBackend _backend;

    public TelemetryTests()
    {
        (_client, _backend) = NewClient(_capture.ClientOptions);
        // The call "takes" 250 ms of the fake clock, so the measured duration is exact and no wall clock is involved.
        _backend.OnCall = _ => _capture.Clock.Advance(TimeSpan.FromMilliseconds(250));
    }

    public void Dispose() => _capture.Dispose();

    [Fact]
    public async Task A_successful_call_records_one_duration_and_one_span()
    {
        await _client.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2]);

        var measurement = Assert.Single(_capture.Measurements);
        Assert.Equal(LlmDataDistTelemetry.DurationInstrument, measurement.Instrument);
        Assert.Equal("llmdatadist.call.duration", measurement.Instrument);
        Assert.Equal(0.25, measurement.Value);
        AssertTags(measurement.Tags, "PullKvBlocks", "Success");

        var span = Assert.Single(_capture.Activities);
        Assert.Equal("PullKvBlocks", span.OperationName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("PullKvBlocks", span.GetTagItem("llmdatadist.operation"));
        Assert.Equal("Success", span.GetTagItem("llmdatadist.status"));
        Assert.Equal(0u, span.GetTagItem("llmdatadist.status_code"));
        Assert.Equal(ActivityStatusCode.Ok, span.Status);
    }

    [Fact]
    public async Task A_failure_status_is_tagged_by_name_and_marks_the_span_as_error()
    {
        _backend.Script("PullKvCache", LlmStatus.NotYetLink);

        await Assert.ThrowsAsync<LlmNotYetLinkException>(async () => await _client.PullKvCacheAsync(Remote(), DeviceCache()));

        AssertTags(Assert.Single(_capture.Measurements).Tags, "PullKvCache", "NotYetLink");
        var span = Assert.Single(_capture.Activities);
        Assert.Equal("NotYetLink", span.GetTagItem("llmdatadist.status"));
        Assert.Equal((uint)LlmStatus.NotYetLink, span.GetTagItem("llmdatadist.status_code"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    [Fact]
    public async Task An_unknown_code_is_tagged_in_hex()
    {
        _backend.Script("PushKvBlocks", (LlmStatus)507056u);

        await Assert.ThrowsAsync<LlmDataDistException>(async () => await _client.PushKvBlocksAsync(DeviceCache(), Remote(), [1], [2]));

        AssertTags(Assert.Single(_capture.Measurements).Tags, "PushKvBlocks", "0x0007BCB0");
        Assert.Equal("0x0007BCB0", Assert.Single(_capture.Activities).GetTagItem("llmdatadist.status"));
    }

    [Fact]
    public async Task A_backend_exception_is_tagged_exception_and_still_timed()
    {
        _backend.OnCall = _ =>
        {
            _capture.Clock.Advance(TimeSpan.FromMilliseconds(40));
            throw new InvalidOperationException("backend bug");
        };

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _client.DeallocateCacheAsync(1));

        var measurement = Assert.Single(_capture.Measurements);
        Assert.Equal(0.04, measurement.Value, 9);
        AssertTags(measurement.Tags, "DeallocateCache", "exception");
        var span = Assert.Single(_capture.Activities);
        Assert.Equal("exception", span.GetTagItem("llmdatadist.status"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
    }

    [Fact]
    public async Task Each_call_is_measured_separately_with_its_own_operation()
    {
        await _client.InitializeAsync(Options());
        await _client.LinkLlmClustersAsync([Cluster()]);
        await _client.DisposeAsync();

        Assert.Equal(["Initialize", "LinkLlmClusters", "Finalize"], _capture.Measurements.Select(m => m.Tags[LlmDataDistTelemetry.OperationTag]));
        Assert.Equal(["Initialize", "LinkLlmClusters", "Finalize"], _capture.Activities.Select(a => a.OperationName));
        // Dispose also advanced the clock (the backend's Dispose is a call too), but only Finalize is timed.
        Assert.All(_capture.Measurements, m => Assert.Equal(0.25, m.Value));
    }

    [Fact]
    public async Task Rejected_and_cancelled_calls_record_nothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await _client.PullKvBlocksAsync(Remote(), DeviceCache(), [], []));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _client.DeallocateCacheAsync(1, new CancellationToken(true)));

        Assert.Empty(_capture.Measurements);
        Assert.Empty(_capture.Activities);
    }

    [Fact]
    public async Task A_client_with_default_options_does_not_report_to_another_clients_meter()
    {
        var (other, _) = NewClient();

        await other.DeallocateCacheAsync(1);

        Assert.Empty(_capture.Measurements);
        Assert.Empty(_capture.Activities);
    }

    [Fact]
    public void Telemetry_names_are_the_documented_ones()
    {
        Assert.Equal("LlmDataDist", LlmDataDistTelemetry.Name);
        Assert.Equal("LlmDataDist", LlmDataDistTelemetry.Meter.Name);
        Assert.Equal("LlmDataDist", LlmDataDistTelemetry.ActivitySource.Name);
        Assert.Equal("llmdatadist.operation", LlmDataDistTelemetry.OperationTag);
        Assert.Equal("llmdatadist.status", LlmDataDistTelemetry.StatusTag);
    }

    private static void AssertTags(IReadOnlyDictionary<string, object?> tags, string operation, string status)
    {
        Assert.Equal(2, tags.Count);
        Assert.Equal(operation, tags["llmdatadist.operation"]);
        Assert.Equal(status, tags["llmdatadist.status"]);
    }
}
