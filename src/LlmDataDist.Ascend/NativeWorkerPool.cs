using System.Threading.Channels;

namespace LlmDataDist.Ascend;

/// <summary>
/// A few dedicated threads that make the blocking native calls, fed by one channel. A native call may block for its
/// whole timeout; on the thread pool 64 of them would starve it, so they never run there. Each call completes its
/// caller's task with continuations that run asynchronously, so the caller's continuation never runs on a worker.
/// Measured choices (docs/hardware.md, section 4): a posted call wakes one blocked worker, not all of them; a worker
/// does not spin before it blocks.
/// </summary>
internal sealed class NativeWorkerPool : IDisposable
{
    /// <summary>How long Dispose waits for each worker to finish the calls already queued.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<NativeCall> _queue;
    private readonly Thread[] _workers;
    private int _disposed;

    public NativeWorkerPool(int workerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        // Synchronous continuations: a posting thread wakes a waiting worker directly instead of through the pool.
        _queue = Channel.CreateUnbounded<NativeCall>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = true });
        _workers = new Thread[workerCount];
        for (var i = 0; i < workerCount; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"llmdd-native-{i}" };
            _workers[i].Start();
        }
    }

    public int WorkerCount => _workers.Length;

    /// <summary>Queues a call; false once the pool is disposed.</summary>
    public bool TryPost(NativeCall call) => _queue.Writer.TryWrite(call);

    /// <summary>Stops accepting calls, lets the workers finish those queued, and waits a bounded time for them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        foreach (var worker in _workers)
        {
            if (worker != Thread.CurrentThread)
            {
                worker.Join(DrainTimeout);
            }
        }
    }

    private void Work()
    {
        var reader = _queue.Reader;
        while (true)
        {
            while (reader.TryRead(out var call))
            {
                call.Execute();
            }

            // Blocking here is the point: this is our own thread, never a thread-pool one. ReadAsync hands the next
            // call to exactly one blocked worker; WaitToReadAsync would wake every idle worker for each call.
            NativeCall next;
            var read = reader.ReadAsync();
            try
            {
                next = read.IsCompleted ? read.Result : read.AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException)
            {
                return; // disposed, and every call queued before has run
            }

            next.Execute();
        }
    }
}

/// <summary>One accepted native call: runs on a worker, releases what the call held, then completes the caller's task.</summary>
internal abstract class NativeCall
{
    /// <summary>Makes the call and completes the caller's task; never throws.</summary>
    public abstract void Execute();
}
