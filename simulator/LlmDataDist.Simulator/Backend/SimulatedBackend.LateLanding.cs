using System.Globalization;

namespace LlmDataDist.Simulator.Backend;

// The opt-in LateLandingFault: a transfer whose call returned a timeout keeps landing until its link is torn down.
// Not a reference rule (the reference says a failed transfer changes nothing): a pessimistic hardware possibility.
public sealed partial class SimulatedBackend
{
    /// <summary>Schedules the late blocks of a transfer that timed out, if the plan lets it keep moving.</summary>
    private void ArmLateLanding(LinkRecord record, SimulatedCache source, SimulatedCache destination, List<Segment> segments, long returnedAtNs)
    {
        if (_fabric.Faults?.LateLanding is null)
        {
            return;
        }

        // One block is every segment that writes the same destination row (all of its tensors).
        var blocks = segments.GroupBy(s => s.DestinationOffset).Select(g => g.ToList()).ToList();
        var times = _fabric.Faults.DrawLateLanding(blocks.Count, returnedAtNs);
        if (times is null)
        {
            return;
        }

        var me = _incarnation;
        var stride = Math.Max(1, destination.Geometry.Stride);
        Trace("LateLandingArmed", record, destination, ("blocks", blocks.Count.ToString(CultureInfo.InvariantCulture)),
            ("landing", times.Count(t => t >= 0).ToString(CultureInfo.InvariantCulture)));
        for (var i = 0; i < blocks.Count; i++)
        {
            if (times[i] < 0)
            {
                continue;
            }

            var block = blocks[i];
            _fabric.Loop.At(times[i], () => Land(me, record, source, destination, block, block[0].DestinationOffset / stride));
        }
    }

    /// <summary>Whether the link that carried a transfer still stands: this side still holds the record it used, and the
    /// peer still holds its side. An unlink, Finalize or crash on either side tears it down.</summary>
    private bool Carries(long incarnation, LinkRecord record) => !Ended(incarnation) && Holds(record) && !record.IsHalfOpen;

    private void Land(long incarnation, LinkRecord record, SimulatedCache source, SimulatedCache destination, List<Segment> block, long row)
    {
        var at = ("row", row.ToString(CultureInfo.InvariantCulture));
        if (!Carries(incarnation, record))
        {
            Trace("LateLandingVoided", record, destination, at);
            return;
        }

        // The memory is resolved now, not when the call was made: if its owner freed it and it was handed out again,
        // the late bytes land in whatever lives there now — the hazard this fault exists to show.
        long bytes = 0;
        foreach (var s in block)
        {
            if (_fabric.Memory.TryResolve(source.Addresses[s.SourceTensor] + (ulong)s.SourceOffset, s.Bytes, out var from)
                && _fabric.Memory.TryResolve(destination.Addresses[s.DestinationTensor] + (ulong)s.DestinationOffset, s.Bytes, out var to))
            {
                from.CopyTo(to);
                bytes += s.Bytes;
            }
        }

        Trace("LateLanded", record, destination, at, ("bytes", bytes.ToString(CultureInfo.InvariantCulture)));
    }

    private void Trace(string name, LinkRecord record, SimulatedCache destination, params ReadOnlySpan<(string Key, string Value)> args)
    {
        if (_fabric.Trace is null)
        {
            return;
        }

        var all = new (string, string)[args.Length + 3];
        all[0] = ("cluster", ClusterId.ToString(CultureInfo.InvariantCulture));
        all[1] = ("peer", record.PeerClusterId.ToString(CultureInfo.InvariantCulture));
        all[2] = ("dst", destination.Id.ToString(CultureInfo.InvariantCulture));
        args.CopyTo(all.AsSpan(3));
        var actor = Npu is { } npu ? TraceActor.Npu(_fabric.Topology.Npus[npu]) : TraceActor.Host(_server);
        _fabric.Trace.Instant(_fabric.Loop.NowNs, "fault", name, actor, all);
    }
}
