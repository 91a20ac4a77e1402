using static LlmDataDist.Tests.Support.Samples;

namespace LlmDataDist.Tests;

/// <summary>Link and Unlink report every cluster: an overall success can hide per-cluster failures (CE), and an overall failure carries them.</summary>
public class ClusterResultsTests
{
    private static readonly ClusterInfo[] TwoPeers = [Cluster(2), Cluster(3, remoteIp: "10.0.0.3")];

    [Fact]
    public async Task Overall_success_with_a_per_cluster_already_link_is_returned_not_thrown()
    {
        var (client, backend) = NewClient();
        backend.ClusterStatuses = _ => [LlmStatus.Success, LlmStatus.AlreadyLink];

        var results = await client.LinkLlmClustersAsync(TwoPeers);

        Assert.Equal(LlmStatus.Success, results.Status);
        Assert.False(results.AllSucceeded);
        Assert.Equal([new ClusterResult(2, LlmStatus.Success), new ClusterResult(3, LlmStatus.AlreadyLink)], results);
        Assert.Equal([new ClusterResult(3, LlmStatus.AlreadyLink)], results.Failures);
        Assert.Equal("Success [2: Success, 3: AlreadyLink]", results.ToString());
    }

    [Fact]
    public async Task All_clusters_linked_means_all_succeeded()
    {
        var (client, _) = NewClient();

        var results = await client.LinkLlmClustersAsync(TwoPeers);

        Assert.True(results.AllSucceeded);
        Assert.Empty(results.Failures);
        Assert.Equal([2UL, 3UL], results.Select(r => r.ClusterId));
        Assert.True(results[1].Succeeded);
    }

    [Fact]
    public async Task Overall_link_failed_throws_carrying_every_cluster()
    {
        var (client, backend) = NewClient();
        backend.Always("LinkLlmClusters", LlmStatus.LinkFailed);
        backend.ClusterStatuses = _ => [LlmStatus.Success, LlmStatus.LinkFailed];

        var ex = await Assert.ThrowsAsync<LlmLinkFailedException>(async () => await client.LinkLlmClustersAsync(TwoPeers));

        Assert.NotNull(ex.Clusters);
        Assert.Equal(LlmStatus.LinkFailed, ex.Clusters.Status);
        Assert.Equal([new ClusterResult(3, LlmStatus.LinkFailed)], ex.Clusters.Failures);
        Assert.Equal(2, ex.Clusters.Count);
        Assert.EndsWith("Clusters: LinkFailed [2: Success, 3: LinkFailed]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failure_before_any_cluster_carries_an_empty_result_list()
    {
        // CE rejects more than 16 clusters with no per-cluster statuses at all.
        var (client, backend) = NewClient();
        backend.Always("LinkLlmClusters", LlmStatus.ClusterNumExceedLimit);
        backend.ClusterStatuses = _ => [];

        var ex = await Assert.ThrowsAsync<LlmClusterNumExceedLimitException>(async () => await client.LinkLlmClustersAsync(TwoPeers));

        Assert.NotNull(ex.Clusters);
        Assert.Empty(ex.Clusters);
        Assert.False(ex.Clusters.AllSucceeded);
    }

    [Fact]
    public async Task Unlink_reports_per_cluster_not_yet_link_on_overall_success()
    {
        var (client, backend) = NewClient();
        backend.ClusterStatuses = _ => [LlmStatus.NotYetLink, LlmStatus.Success];

        var results = await client.UnlinkLlmClustersAsync(TwoPeers);

        Assert.False(results.AllSucceeded);
        Assert.Equal([new ClusterResult(2, LlmStatus.NotYetLink)], results.Failures);
    }

    [Fact]
    public async Task Overall_unlink_failed_throws_carrying_the_clusters()
    {
        var (client, backend) = NewClient();
        backend.Always("UnlinkLlmClusters", LlmStatus.UnlinkFailed);
        backend.ClusterStatuses = _ => [LlmStatus.UnlinkFailed, LlmStatus.LinkBusy];

        var ex = await Assert.ThrowsAsync<LlmUnlinkFailedException>(async () => await client.UnlinkLlmClustersAsync(TwoPeers, forceFlag: true));

        Assert.Equal("UnlinkLlmClusters", ex.Operation);
        Assert.Equal([new ClusterResult(2, LlmStatus.UnlinkFailed), new ClusterResult(3, LlmStatus.LinkBusy)], ex.Clusters!);
    }

    [Fact]
    public async Task Duplicate_cluster_ids_keep_one_entry_each_in_input_order()
    {
        // CE answers REPEAT_REQUEST for the second occurrence of a cluster in one call.
        var (client, backend) = NewClient();
        backend.ClusterStatuses = _ => [LlmStatus.Success, LlmStatus.RepeatRequest];

        var results = await client.LinkLlmClustersAsync([Cluster(2), Cluster(2)]);

        Assert.Equal([new ClusterResult(2, LlmStatus.Success), new ClusterResult(2, LlmStatus.RepeatRequest)], results);
    }
}
