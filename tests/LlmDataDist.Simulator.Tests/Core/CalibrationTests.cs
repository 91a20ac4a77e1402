using LlmDataDist.Simulator;
using Xunit.Abstractions;

namespace LlmDataDist.Simulator.Tests.Core;

/// <summary>
/// The shipped latency model against every published HIXL point (hardware-model.md): each point simulated through the
/// simulator's own route selection and network, in virtual time. Targets: median error ≤ 3 %, largest ≤ 8 %.
/// </summary>
public class CalibrationTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_published_point_is_within_target()
    {
        var report = CalibrationReport.Run(CalibrationData.Published);
        output.WriteLine(report.Model.ToMarkdown());
        output.WriteLine(report.ToMarkdown());
        Assert.Equal(35, report.Rows.Count);
        Assert.True(report.MedianErrorPercent <= 3, report.Summary);
        Assert.True(report.MaxErrorPercent <= 8, report.Summary);
    }
}
