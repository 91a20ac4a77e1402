using LlmDataDist.Tests.Support;
using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>Every failure status becomes its own exception type carrying the status, the operation and recoverability.</summary>
public class StatusMappingTests
{
    // The "Recoverable" column of the reference's status table (§2), written out here rather than read from the
    // generated IsRecoverable, so a wrong annotation fails this test.
    private static readonly HashSet<LlmStatus> RecoverableByDocs =
    [
        LlmStatus.WaitProcTimeout, LlmStatus.KvCacheNotExist, LlmStatus.ParamInvalid, LlmStatus.NotYetLink,
        LlmStatus.AlreadyLink, LlmStatus.LinkFailed, LlmStatus.UnlinkFailed, LlmStatus.NotifyPromptUnlinkFailed,
        LlmStatus.ClusterNumExceedLimit, LlmStatus.ProcessingLink, LlmStatus.DeviceOutOfMemory, LlmStatus.ExistLink,
        LlmStatus.FeatureNotEnabled, LlmStatus.LinkBusy, LlmStatus.OutOfMemory,
    ];

    public static TheoryData<LlmStatus> FailureStatuses => [.. Enum.GetValues<LlmStatus>().Where(s => s != LlmStatus.Success)];

    [Theory]
    [MemberData(nameof(FailureStatuses))]
    public async Task Failure_status_throws_its_own_exception_type_with_status_operation_and_recoverability(LlmStatus status)
    {
        var (client, backend) = NewClient();
        backend.Script("PullKvBlocks", status);

        var ex = await Assert.ThrowsAnyAsync<LlmDataDistException>(async () => await client.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2]));

        Assert.Equal($"Llm{status}Exception", ex.GetType().Name);
        Assert.Equal(status, ex.Status);
        Assert.Equal((uint)status, ex.StatusCode);
        Assert.Equal("PullKvBlocks", ex.Operation);
        Assert.Equal(RecoverableByDocs.Contains(status), ex.IsRecoverable);
        Assert.Null(ex.Clusters);
        Assert.StartsWith("PullKvBlocks failed with " + status.GetNativeName(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_failure_status_has_a_distinct_exception_type()
    {
        var types = Enum.GetValues<LlmStatus>().Where(s => s != LlmStatus.Success).Select(s => LlmDataDistException.Create(s, "X").GetType()).ToList();

        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.DoesNotContain(typeof(LlmDataDistException), types);
    }

    [Theory]
    [InlineData(LlmStatus.NotYetLink, true)]
    [InlineData(LlmStatus.Timeout, false)] // the docs call LLM_TIMEOUT unrecoverable, unlike LLM_WAIT_PROC_TIMEOUT
    [InlineData(LlmStatus.WaitProcTimeout, true)]
    [InlineData(LlmStatus.Failed, false)]
    public async Task Recoverability_follows_the_documentation(LlmStatus status, bool recoverable)
    {
        var (client, backend) = NewClient();
        backend.Script("PullKvCache", status);

        var ex = await Assert.ThrowsAnyAsync<LlmDataDistException>(async () => await client.PullKvCacheAsync(Remote(), DeviceCache()));

        Assert.Equal(recoverable, ex.IsRecoverable);
    }

    // Raw values from the reference's status table (§2): the enum must carry the library's numbers, since they are
    // what logs and the native layer show.
    [Theory]
    [InlineData(LlmStatus.Success, 0x00000000u)]
    [InlineData(LlmStatus.Failed, 0xFFFFFFFFu)]
    [InlineData(LlmStatus.WaitProcTimeout, 0x5010B001u)]
    [InlineData(LlmStatus.ParamInvalid, 0x5010B005u)]
    [InlineData(LlmStatus.NotYetLink, 0x5010B007u)]
    [InlineData(LlmStatus.ExistLink, 0x5010B018u)]
    [InlineData(LlmStatus.FeatureNotEnabled, 0x5010B019u)]
    [InlineData(LlmStatus.Timeout, 0x5010B01Au)]
    [InlineData(LlmStatus.OutOfMemory, 0x5010B01Cu)]
    public void Status_values_are_the_librarys_codes(LlmStatus status, uint code) => Assert.Equal(code, (uint)status);

    [Theory]
    [MemberData(nameof(ValidCalls.Operations), MemberType = typeof(ValidCalls))]
    public async Task Every_operation_names_itself_in_the_exception(string operation)
    {
        var (client, backend) = NewClient();
        backend.Always(operation, LlmStatus.ParamInvalid);

        var ex = await Assert.ThrowsAsync<LlmParamInvalidException>(async () => await ValidCalls.Invoke(client, operation));

        Assert.Equal(operation, ex.Operation);
        Assert.Contains(operation, ex.Message, StringComparison.Ordinal);
        Assert.Single(backend.Calls);
    }

    [Theory]
    [MemberData(nameof(ValidCalls.Operations), MemberType = typeof(ValidCalls))]
    public async Task Success_throws_nothing(string operation)
    {
        var (client, backend) = NewClient();

        await ValidCalls.Invoke(client, operation);

        Assert.Equal(operation, Assert.Single(backend.Calls).Method);
    }

    [Fact]
    public async Task Unknown_raw_code_becomes_the_base_exception_and_keeps_the_number()
    {
        const uint AclRtLinkError = 507056; // ACL_ERROR_RT_LINK_ERROR, which HX transfers return as is
        var (client, backend) = NewClient();
        backend.Script("PullKvBlocks", (LlmStatus)AclRtLinkError);

        var ex = await Assert.ThrowsAsync<LlmDataDistException>(async () => await client.PullKvBlocksAsync(Remote(), DeviceCache(), [1], [2]));

        Assert.Equal(typeof(LlmDataDistException), ex.GetType());
        Assert.Equal(AclRtLinkError, ex.StatusCode);
        Assert.Equal((LlmStatus)AclRtLinkError, ex.Status);
        Assert.False(ex.IsRecoverable);
        Assert.Equal("PullKvBlocks", ex.Operation);
        Assert.Contains("0x0007BCB0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown status", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_carries_the_native_name_description_and_advice()
    {
        var (client, backend) = NewClient();
        backend.Script("PullKvCache", LlmStatus.NotYetLink);

        var ex = await Assert.ThrowsAsync<LlmNotYetLinkException>(async () => await client.PullKvCacheAsync(Remote(), DeviceCache()));

        Assert.Equal("PullKvCache failed with LLM_NOT_YET_LINK: There is no link to that cluster. Link the clusters first.", ex.Message);
    }

    [Fact]
    public async Task An_exception_thrown_by_the_backend_propagates_unchanged()
    {
        var (client, backend) = NewClient();
        var boom = new InvalidOperationException("backend bug");
        backend.OnCall = _ => throw boom;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.DeallocateCacheAsync(1));

        Assert.Same(boom, ex);
    }

    [Fact]
    public async Task A_status_scripted_once_applies_to_one_call_only()
    {
        var (client, backend) = NewClient();
        backend.Script("DeallocateCache", LlmStatus.KvCacheNotExist);

        await Assert.ThrowsAsync<LlmKvCacheNotExistException>(async () => await client.DeallocateCacheAsync(1));
        await client.DeallocateCacheAsync(1);

        Assert.Equal(2, backend.Calls.Count);
    }
}
