using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LlmDataDist.Simulator;

namespace LlmDataDist.Simulator.Tests.Core;

public class MemoryTests
{
    private static Topology Small(long hbmBytes = 1 << 20)
    {
        var b = new TopologyBuilder("small");
        var s = b.AddServer("x", 1 << 20);
        b.AddNpu(s, hbmBytes, HardwareDefaults.A2Hccs, null, HardwareDefaults.Pcie4);
        b.AddNpu(s, hbmBytes, HardwareDefaults.A2Hccs, null, HardwareDefaults.Pcie4);
        return b.Build();
    }

    [Fact]
    public void Allocations_are_aligned_distinct_and_bounded_by_capacity()
    {
        using var memory = new MemorySystem(Small());
        var hbm = memory.Device(0);
        var a = hbm.Allocate(1000);
        var b = hbm.Allocate(512);
        Assert.True(a.IsSuccess && b.IsSuccess);
        Assert.Equal(0UL, a.Buffer!.Address % 512);
        Assert.Equal(0UL, b.Buffer!.Address % 512);
        Assert.Equal(a.Buffer.Address + 1024, b.Buffer.Address);
        Assert.Equal(1024 + 512, hbm.UsedBytes);
        var tooBig = hbm.Allocate(hbm.FreeBytes + 1);
        Assert.Equal(AllocationStatus.OutOfMemory, tooBig.Status);
        Assert.Null(tooBig.Buffer);
        var rest = hbm.Allocate(hbm.FreeBytes);
        Assert.True(rest.IsSuccess);
        Assert.Equal(AllocationStatus.OutOfMemory, hbm.Allocate(1).Status);
        Assert.Equal(hbm.CapacityBytes, hbm.UsedBytes);
        Assert.NotEqual(memory.Device(0).BaseAddress, memory.Device(1).BaseAddress);
        Assert.NotEqual(memory.Device(1).BaseAddress, memory.Host(0).BaseAddress);
    }

    [Fact]
    public void Interior_pointers_resolve_to_buffer_and_offset_and_gaps_resolve_to_nothing()
    {
        using var memory = new MemorySystem(Small());
        var a = memory.Device(1).Allocate(1000).Buffer!;
        var b = memory.Device(1).Allocate(4096).Buffer!;
        Assert.True(memory.TryResolve(a.Address + 999, 1, out var r1));
        Assert.Same(a, r1.Buffer);
        Assert.Equal(999, r1.Offset);
        Assert.True(memory.TryResolve(b.Address + 100, 200, out var r2));
        Assert.Same(b, r2.Buffer);
        Assert.Equal(100, r2.Offset);
        Assert.False(memory.TryResolve(a.Address + 1000, 1, out _)); // alignment padding belongs to no buffer
        Assert.False(memory.TryResolve(a.Address + 900, 200, out _)); // range leaves the buffer
        Assert.False(memory.TryResolve(memory.Device(0).BaseAddress + 100, 1, out _)); // other device, nothing there
        Assert.False(memory.TryResolve(0x1234, 1, out _));
        Assert.Same(memory.Device(1), memory.SpaceOf(a.Address));
    }

    [Fact]
    public void Free_returns_space_coalesces_and_reuses_the_lowest_address()
    {
        using var memory = new MemorySystem(Small(8 * 512));
        var hbm = memory.Device(0);
        var blocks = Enumerable.Range(0, 8).Select(_ => hbm.Allocate(512).Buffer!).ToArray();
        Assert.Equal(AllocationStatus.OutOfMemory, hbm.Allocate(512).Status);
        Assert.True(hbm.Free(blocks[2]));
        Assert.True(hbm.Free(blocks[3]));
        Assert.False(hbm.Free(blocks[3])); // double free is refused
        Assert.False(memory.TryResolve(blocks[2].Address, 1, out _));
        var big = hbm.Allocate(1024).Buffer!; // needs the two freed neighbours coalesced
        Assert.Equal(blocks[2].Address, big.Address);
        Assert.False(blocks[2].IsLive);
        Assert.True(memory.TryResolve(big.Address + 600, 1, out var r));
        Assert.Same(big, r.Buffer);
    }

    [Fact]
    public void Bytes_are_real_start_zeroed_and_copy_between_devices()
    {
        using var memory = new MemorySystem(Small());
        var src = memory.Device(0).Allocate(4096).Buffer!;
        var dst = memory.Device(1).Allocate(4096).Buffer!;
        Assert.All(src.Span.ToArray(), b => Assert.Equal(0, b));
        for (var i = 0; i < src.Span.Length; i++)
        {
            src.Span[i] = (byte)(i * 7);
        }

        Assert.True(memory.TryResolve(src.Address + 100, 1000, out var from));
        Assert.True(memory.TryResolve(dst.Address + 2000, 1000, out var to));
        MemorySystem.Copy(from, to);
        Assert.True(src.Span.Slice(100, 1000).SequenceEqual(dst.Span.Slice(2000, 1000)));
        Assert.All(dst.Span[..2000].ToArray(), b => Assert.Equal(0, b)); // nothing outside the range changed
        Assert.All(dst.Span[3000..].ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ArgumentException>(() => MemorySystem.Copy(from, dst.Range(0, 999)));
    }

    [Fact]
    public void Metadata_only_keeps_sizes_and_addresses_but_no_bytes()
    {
        using var memory = new MemorySystem(Topology.A2(), metadataOnly: true);
        var hbm = memory.Device(0);
        var huge = hbm.Allocate(40L << 30).Buffer!; // 40 GiB: impossible with real bytes
        Assert.False(huge.HasBytes);
        Assert.True(huge.Span.IsEmpty);
        Assert.Equal(40L << 30, hbm.UsedBytes);
        Assert.Equal(AllocationStatus.OutOfMemory, hbm.Allocate(25L << 30).Status);
        Assert.True(memory.TryResolve(huge.Address + (39L << 30), 4096, out var range));
        range.Write([1, 2, 3]); // no-op
        var read = new byte[3];
        Assert.Equal(0, range.Read(read));
        Assert.Equal(new byte[3], read);
        var other = memory.Device(1).Allocate(4096).Buffer!;
        range.CopyTo(other.Range(0, 4096)); // no-op, no throw
    }

    [Fact]
    public void Injected_allocation_failure_hits_exactly_the_nth_attempt()
    {
        var plan = FaultPlan.Scripted(new AllocationFailureFault(Npu: 1, Nth: 3));
        using var world = new SimulatedWorld(1, Small(), plan);
        var statuses = world.Run(() => Task.FromResult(Enumerable.Range(0, 5).Select(_ => world.Memory.Device(1).Allocate(512).Status).ToList()));
        Assert.Equal([AllocationStatus.Success, AllocationStatus.Success, AllocationStatus.FaultInjected, AllocationStatus.Success, AllocationStatus.Success], statuses);
        Assert.True(world.Memory.Device(0).Allocate(512).IsSuccess);
        Assert.Contains(world.Trace.Events, e => e.Name == "Allocate" && e.Args.Contains(new("status", "FaultInjected")));
    }

    [Property(MaxTest = 60)]
    public Property Random_allocate_free_sequences_keep_buffers_disjoint_aligned_and_resolvable(ulong seed)
    {
        var r = new SimRandom(seed);
        using var memory = new MemorySystem(Small(64 << 10));
        var hbm = memory.Device(0);
        var live = new List<SimBuffer>();
        for (var step = 0; step < 200; step++)
        {
            if (live.Count > 0 && r.Chance(new Ratio(2, 5)))
            {
                var victim = live[(int)r.Below((ulong)live.Count)];
                live.Remove(victim);
                if (!hbm.Free(victim))
                {
                    return false.Label($"seed={seed} step={step}: free of a live buffer refused");
                }
            }
            else if (hbm.Allocate(1 + (long)r.Below(6000)) is { IsSuccess: true } ok)
            {
                live.Add(ok.Buffer);
            }
        }

        var sorted = live.OrderBy(b => b.Address).ToList();
        var disjoint = sorted.Zip(sorted.Skip(1)).All(p => p.First.Address + (ulong)p.First.ReservedBytes <= p.Second.Address);
        var aligned = live.All(b => b.Address % 512 == 0);
        var resolvable = live.All(b => memory.TryResolve(b.Address + (ulong)(b.SizeBytes - 1), 1, out var x) && x.Buffer == b && x.Offset == b.SizeBytes - 1);
        var accounted = hbm.UsedBytes == live.Sum(b => b.ReservedBytes);
        return (disjoint && aligned && resolvable && accounted)
            .Label($"seed={seed}: disjoint={disjoint} aligned={aligned} resolvable={resolvable} accounted={accounted}");
    }
}
