using System.Globalization;
using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

/// <summary>The calibration CSV schema: what loads, and a clear error (line and rule) for what does not.</summary>
public class CalibrationDataTests
{
    private const string Header = "platform,transport,path,direction,block_bytes,total_bytes,gbps";

    [Fact]
    public void The_published_table_ships_as_35_points_one_per_measured_cell()
    {
        var data = CalibrationData.Published;
        Assert.Equal(35, data.Points.Count);
        Assert.Equal(13, data.Points.Select(p => p.Key).Distinct().Count()); // 13 rows of hardware-model.md
        Assert.All(data.Points, p => Assert.Equal(128L << 20, p.TotalBytes));
        Assert.Equal([16L << 10, 128L << 10, 2L << 20], data.Points.Select(p => p.BlockBytes).Distinct().Order());
        var a2CommPush = data.Points.Single(p => p.Key == new PathKey(Platform.A2, LinkKind.Roce, LinkScope.OneServer, TransferPath.CommDomain, TransferDirection.Push) && p.BlockBytes == 16 << 10);
        Assert.Equal(0.72, a2CommPush.GBps);
    }

    [Fact]
    public void Csv_text_round_trips_and_columns_may_come_in_any_order_with_extra_ones_ignored()
    {
        var copy = CalibrationData.Parse(CalibrationData.Published.ToCsv());
        Assert.Equal(CalibrationData.Published.Points.Select(p => p with { Line = 0 }), copy.Points.Select(p => p with { Line = 0 }));

        var shuffled = CalibrationData.Parse("""
            # a probe's own comment
            gbps,scope,direction,path,transport,platform,total_bytes,block_bytes,host
            23.5,two-servers,rD2D,hixl_cs,RoCE,A3,134217728,131072,node-7

            18.1,,push,comm_domain,hccs,a2,134217728,16384,node-7
            """);
        Assert.Equal(
            [
                new CalibrationPoint(new PathKey(Platform.A3, LinkKind.Roce, LinkScope.TwoServers, TransferPath.HixlCs, TransferDirection.Pull), 131072, 134217728, 23.5, 3),
                new CalibrationPoint(new PathKey(Platform.A2, LinkKind.Hccs, LinkScope.OneServer, TransferPath.CommDomain, TransferDirection.Push), 16384, 134217728, 18.1, 5),
            ],
            shuffled.Points);
    }

    [Theory]
    [InlineData("", 1, "header line")]
    [InlineData("platform,transport,path,direction,block_bytes,gbps", 1, "missing: total_bytes")]
    [InlineData(Header + ",gbps", 1, "'gbps' appears twice")]
    [InlineData(Header + "\nA4,HCCS,hixl_cs,D2rD,16384,134217728,18.0", 2, "platform is A2 or A3, not 'A4'")]
    [InlineData(Header + "\nA3,UB,hixl_cs,D2rD,16384,134217728,18.0", 2, "transport is HCCS or RoCE")]
    [InlineData(Header + "\nA3,HCCS,hccl,D2rD,16384,134217728,18.0", 2, "path is hixl_cs or comm_domain")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2D,16384,134217728,18.0", 2, "direction is D2rD (push) or rD2D (pull)")]
    [InlineData(Header + ",scope\nA3,HCCS,hixl_cs,D2rD,16384,134217728,18.0,three-servers", 2, "scope is one-server or two-servers")]
    [InlineData(Header + ",scope\nA2,HCCS,hixl_cs,D2rD,16384,134217728,18.0,two-servers", 2, "HCCS joins A2 NPUs only inside one server")]
    [InlineData(Header + "\n\nA3,HCCS,hixl_cs,D2rD,0,134217728,18.0", 3, "block_bytes is a positive whole number of bytes, not '0'")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,1e6,18.0", 2, "total_bytes is a positive whole number")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,100000,18.0", 2, "whole number of blocks")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,134217728,18,0", 2, "one value per header column: expected 7, got 8")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,134217728,-1", 2, "gbps is a positive decimal number")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,134217728,\"18.0\"", 2, "quoted fields")]
    [InlineData(Header + "\nA3,HCCS,hixl_cs,D2rD,16384,134217728,18.0\nA3,HCCS,hixl_cs,push,16384,134217728,18.5", 3, "already given on line 2")]
    public void A_bad_line_is_named_with_the_rule_it_breaks(string csv, int line, string rule)
    {
        var ex = Assert.Throws<CalibrationFormatException>(() => CalibrationData.Parse(csv, "mine.csv"));
        Assert.Equal(line, ex.LineNumber);
        Assert.Equal("mine.csv", ex.SourceName);
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"mine.csv:{line}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reads_a_file_and_names_it_in_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"calibration-{Environment.ProcessId}-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, Header + "\nA3,HCCS,hixl_cs,D2rD,16384,134217728,18.0\n");
            Assert.Single(CalibrationData.Load(path).Points);
            File.AppendAllText(path, "A3,HCCS,hixl_cs,D2rD,16384,134217728,fast\n");
            var ex = Assert.Throws<CalibrationFormatException>(() => CalibrationData.Load(path));
            Assert.Equal(3, ex.LineNumber);
            Assert.Equal(Path.GetFileName(path), ex.SourceName);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_point_faster_than_the_route_latency_allows_is_refused_at_fit_time()
    {
        var data = CalibrationData.Parse(Header + "\nA3,RoCE,hixl_cs,D2rD,16,16,1000\n", "fast.csv");
        var ex = Assert.Throws<ArgumentException>(() => LatencyModel.Fit(data));
        Assert.Contains("fast.csv:2:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"route latency ({2 * HardwareDefaults.RoceHopLatencyNs} ns)"), ex.Message, StringComparison.Ordinal);
    }
}
