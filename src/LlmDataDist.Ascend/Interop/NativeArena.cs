using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Interop;

/// <summary>
/// Per-call scratch memory for the blittable arguments of one native call: a bump allocator over one pooled native
/// chunk, with separate blocks for what does not fit. Filled on the caller's thread when the call is accepted (so a
/// list the caller changes afterwards does not change the call), read by the shim on a worker, and returned to the
/// pool only when the native call has returned — never when a cancelled caller stops waiting.
/// </summary>
internal sealed unsafe class NativeArena : IDisposable
{
    /// <summary>Enough for every call of the samples and the suite; larger argument lists take extra blocks.</summary>
    private const int ChunkBytes = 16 * 1024;

    /// <summary>Arenas kept for reuse; more than this many calls in flight allocate fresh ones.</summary>
    private const int PooledMax = 64;

    private static readonly ConcurrentQueue<NativeArena> Pool = new();
    private static int _pooled;

    private readonly byte* _chunk = (byte*)NativeMemory.AlignedAlloc(ChunkBytes, 16);
    private readonly List<nint> _blocks = [];
    private int _used;

    private NativeArena()
    {
    }

    /// <summary>An empty arena from the pool.</summary>
    /// <returns>The arena; dispose it after the native call returned.</returns>
    public static NativeArena Rent()
    {
        if (Pool.TryDequeue(out var arena))
        {
            Interlocked.Decrement(ref _pooled);
            return arena;
        }

        return new NativeArena();
    }

    /// <summary>Zeroed, 16-byte aligned memory for <paramref name="count"/> values; null for none, as the ABI allows
    /// a null pointer with a zero length.</summary>
    /// <typeparam name="T">A blittable type.</typeparam>
    /// <param name="count">How many values.</param>
    /// <returns>The memory, valid until the arena is disposed.</returns>
    public T* Alloc<T>(long count)
        where T : unmanaged
    {
        if (count == 0)
        {
            return null;
        }

        var bytes = checked((nuint)count * (nuint)sizeof(T));
        var aligned = (bytes + 15) & ~(nuint)15;
        byte* memory;
        if (aligned <= (nuint)(ChunkBytes - _used))
        {
            memory = _chunk + _used;
            _used += (int)aligned;
        }
        else
        {
            memory = (byte*)NativeMemory.AlignedAlloc(aligned, 16);
            _blocks.Add((nint)memory);
        }

        NativeMemory.Clear(memory, bytes);
        return (T*)memory;
    }

    /// <summary>Frees the extra blocks and returns the arena to the pool.</summary>
    public void Dispose()
    {
        foreach (var block in _blocks)
        {
            NativeMemory.AlignedFree((void*)block);
        }

        _blocks.Clear();
        _used = 0;
        if (Interlocked.Increment(ref _pooled) <= PooledMax)
        {
            Pool.Enqueue(this);
            return;
        }

        Interlocked.Decrement(ref _pooled);
        NativeMemory.AlignedFree(_chunk);
    }
}
