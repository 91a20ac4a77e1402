using System.Globalization;

namespace LlmDataDist.Simulator.Backend;

// The opt-in LateLandingFault: a transfer whose call returned a timeout keeps landing until its link is torn down.
// Not a reference rule (the reference says a failed transfer changes nothing): a pessimistic hardware possibility.
public sealed partial class SimulatedBackend
{
    // Rows of this instance's caches under a running transfer (count per row), and rows a timed-out transfer may still
    // write; kept only when TracksRowsAtRisk is on.
    private readonly Dictionary<long, Dictionary<long, int>> _rowsInFlight = [];
    private readonly List<TimedOutRows> _rowsAtRisk = [];

    /// <summary>Whether this instance keeps which rows of its caches transfers are writing (<see cref="RowsInFlight"/>)
    /// and which a timed-out transfer may still write (<see cref="RowsAtRisk"/>); off by default (a little cost per
    /// transfer). Test kits turn it on for the destinations they watch.</summary>
    public bool TracksRowsAtRisk { get; set; }

    /// <summary>Rows (blocks) of a cache of this instance that a transfer in progress is writing.</summary>
    /// <param name="cacheId">The cache id, in this instance's numbering.</param>
    /// <returns>The rows; empty unless <see cref="TracksRowsAtRisk"/> is on.</returns>
    public IReadOnlySet<long> RowsInFlight(long cacheId) =>
        _rowsInFlight.TryGetValue(cacheId, out var rows) ? rows.Keys.ToHashSet() : [];

    /// <summary>Rows (blocks) of a cache of this instance that a transfer which returned a timeout was writing, while the
    /// link that carried it still stands: on hardware its bytes may still land there (see <see cref="LateLandingFault"/>),
    /// so they are not safe to reuse until that link is torn down (unlink or Finalize on either side, or a crash).</summary>
    /// <param name="cacheId">The cache id, in this instance's numbering.</param>
    /// <returns>The rows; empty unless <see cref="TracksRowsAtRisk"/> is on.</returns>
    public IReadOnlySet<long> RowsAtRisk(long cacheId)
    {
        _rowsAtRisk.RemoveAll(t => !t.Initiator.Carries(t.Incarnation, t.Record));
        return _rowsAtRisk.Where(t => t.CacheId == cacheId).SelectMany(t => t.Rows).ToHashSet();
    }

    private sealed record TimedOutRows(SimulatedBackend Initiator, long Incarnation, LinkRecord Record, long CacheId, long[] Rows);

    /// <summary>Marks the destination rows of a transfer as being written until the returned scope ends (null when the
    /// destination's owner does not track rows).</summary>
    private RowsWritten? Writing(bool pull, LinkRecord record, SimulatedCache destination, TransferPlan plan)
    {
        var owner = pull ? this : record.Peer;
        if (!owner.TracksRowsAtRisk)
        {
            return null;
        }

        var rows = Rows(destination, plan.Segments());
        if (!owner._rowsInFlight.TryGetValue(destination.Id, out var counts))
        {
            owner._rowsInFlight[destination.Id] = counts = [];
        }

        foreach (var row in rows)
        {
            counts[row] = counts.GetValueOrDefault(row) + 1;
        }

        return new RowsWritten(counts, rows);
    }

    private static long[] Rows(SimulatedCache destination, List<Segment> segments)
    {
        var stride = Math.Max(1, destination.Geometry.Stride);
        return [.. segments.Select(s => s.DestinationOffset / stride).Distinct()];
    }

    private sealed class RowsWritten(Dictionary<long, int> counts, long[] rows) : IDisposable
    {
        public void Dispose()
        {
            foreach (var row in rows)
            {
                if (--counts[row] == 0)
                {
                    counts.Remove(row);
                }
            }
        }
    }

    /// <summary>A transfer returned its timeout: its rows stay at risk until its link is torn down, and with a
    /// <see cref="LateLandingFault"/> its blocks may land later.</summary>
    private void ArmLateLanding(bool pull, LinkRecord record, SimulatedCache source, SimulatedCache destination, TransferPlan plan, long returnedAtNs)
    {
        var segments = plan.Segments();
        var owner = pull ? this : record.Peer;
        if (owner.TracksRowsAtRisk)
        {
            owner._rowsAtRisk.Add(new TimedOutRows(this, _incarnation, record, destination.Id, Rows(destination, segments)));
        }

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
