using System.Globalization;

namespace LlmDataDist.Samples.Flows;

/// <summary>One measured point of the bandwidth grid: a row of the calibration CSV.</summary>
/// <param name="Platform">The hardware, e.g. <c>A2</c>, <c>A3</c> (a label the user gives).</param>
/// <param name="Transport">The link between the two NPUs, e.g. <c>HCCS</c>, <c>RoCE</c> (a label).</param>
/// <param name="Path">The transfer path, e.g. <c>hixl_cs</c>, <c>comm domain</c> (a label).</param>
/// <param name="Direction"><c>rD2D</c> (pull: the device reads the remote device) or <c>D2rD</c> (push).</param>
/// <param name="BlockBytes">Bytes of one block (all tensors of the block together).</param>
/// <param name="TotalBytes">Bytes moved by the step's one call.</param>
/// <param name="Gbps">GB/s (10^9 bytes per second): total bytes over the call's duration.</param>
public sealed record BandwidthPoint(string Platform, string Transport, string Path, string Direction, long BlockBytes, long TotalBytes, double Gbps);

/// <summary>
/// The point-to-point bandwidth grid of hardware-model.md: for block sizes 16 KiB to 2 MiB, one PullKvBlocks and one
/// PushKvBlocks moving <c>totalBytes</c> (128 MiB by default) between two instances, timed, best of
/// <c>repeats</c> after one warm-up. Written as CSV with the columns the simulator's calibration reads.
/// </summary>
public static class BandwidthProbe
{
    /// <summary>The CSV header; the calibration reader depends on these exact names.</summary>
    public const string CsvHeader = "platform,transport,path,direction,block_bytes,total_bytes,gbps";

    /// <summary>Pull (the device reads the remote device) and push (it writes the remote device), named as in hardware-model.md.</summary>
    private static readonly string[] Directions = ["rD2D", "D2rD"];

    public static IReadOnlyList<long> BlockSizes { get; } = [16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20];

    public static IReadOnlyList<BandwidthPoint> Run(FlowEnvironment env, FlowSettings settings, (string Platform, string Transport, string Path) labels, long totalBytes, int repeats, TextWriter log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalBytes, BlockSizes[^1]);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        return env.Run(async () =>
        {
            // One cache of totalBytes per side at a time, plus room for the allocator's alignment.
            var pool = totalBytes + (16 << 20);
            await using var prompt = LlmDataDistClient.Create(env.Factory(0), FlowSettings.PromptId, LlmRole.Prompt, new LlmDataDistClientOptions { TimeProvider = env.TimeProvider });
            await using var decoder = LlmDataDistClient.Create(env.Factory(1), FlowSettings.DecoderId, LlmRole.Decoder, new LlmDataDistClientOptions { TimeProvider = env.TimeProvider });
            await prompt.InitializeAsync(settings.PromptOptions(poolBytes: pool));
            await decoder.InitializeAsync(settings.DecoderOptions(poolBytes: pool));
            await decoder.LinkLlmClustersAsync([settings.DecoderToPrompt], TimeSpan.FromSeconds(5));

            var points = new List<BandwidthPoint>();
            foreach (var blockBytes in BlockSizes)
            {
                var blocks = totalBytes / blockBytes;
                // One layer (K and V): each block is half K, half V.
                var desc = new CacheDesc(CachePlacement.Device, 2, DataType.Int8, [blocks, blockBytes / 2]);
                var source = await prompt.AllocateCacheAsync(desc);
                var destination = await decoder.AllocateCacheAsync(desc);
                var list = Enumerable.Range(0, (int)blocks).Select(b => (ulong)b).ToArray();
                foreach (var direction in Directions)
                {
                    Func<ValueTask> move = direction == "rD2D"
                        ? () => decoder.PullKvBlocksAsync(new CacheIndex(FlowSettings.PromptId, source.CacheId, 0), destination, list, list)
                        : () => prompt.PushKvBlocksAsync(source, new CacheIndex(FlowSettings.DecoderId, destination.CacheId, 0), list, list);
                    await move(); // warm-up: first use of the link and the caches
                    var best = TimeSpan.MaxValue;
                    for (var r = 0; r < repeats; r++)
                    {
                        var started = env.TimeProvider.GetTimestamp();
                        await move();
                        var took = env.TimeProvider.GetElapsedTime(started);
                        best = took < best ? took : best;
                    }

                    var point = new BandwidthPoint(labels.Platform, labels.Transport, labels.Path, direction, blockBytes, blocks * blockBytes, blocks * blockBytes / Math.Max(best.TotalSeconds, 1e-9) / 1e9);
                    points.Add(point);
                    log.WriteLine($"  {direction} {blockBytes / 1024,5} KiB blocks x {blocks,6}: {point.Gbps,8:F2} GB/s");
                }

                await prompt.DeallocateCacheAsync(source.CacheId);
                await decoder.DeallocateCacheAsync(destination.CacheId);
            }

            await decoder.UnlinkLlmClustersAsync([settings.DecoderToPrompt]);
            return (IReadOnlyList<BandwidthPoint>)points;
        });
    }

    public static void WriteCsv(IEnumerable<BandwidthPoint> points, TextWriter writer)
    {
        writer.WriteLine(CsvHeader);
        foreach (var p in points)
        {
            writer.WriteLine(string.Join(',', Field(p.Platform), Field(p.Transport), Field(p.Path), Field(p.Direction),
                p.BlockBytes.ToString(CultureInfo.InvariantCulture), p.TotalBytes.ToString(CultureInfo.InvariantCulture), p.Gbps.ToString("R", CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>RFC 4180 quoting for labels that hold a comma, a quote or a line break.</summary>
    private static string Field(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
