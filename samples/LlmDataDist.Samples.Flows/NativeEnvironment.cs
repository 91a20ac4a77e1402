using LlmDataDist.Ascend;

namespace LlmDataDist.Samples.Flows;

/// <summary>
/// The native backend: CANN's libllm_engine.so through the shim on an Atlas host, or the fake engine in CI. Every
/// instance lives in this process. Device memory is not readable from the host on hardware, so bytes are checked
/// only with <paramref name="hostVisibleMemory"/> (the fake engine, whose "device" memory is host memory).
/// </summary>
public sealed unsafe class NativeEnvironment(bool hostVisibleMemory, AscendBackendOptions? options = null) : FlowEnvironment
{
    private readonly AscendBackendFactory _factory = new(options);

    public override string Name => "native";

    public override TimeProvider TimeProvider => TimeProvider.System;

    public override ILlmDataDistBackendFactory Factory(int server) => _factory;

    /// <summary>Runs on the thread pool and waits: the backend's tasks complete there.</summary>
    public override T Run<T>(Func<Task<T>> scenario) => Task.Run(scenario).GetAwaiter().GetResult();

    public override bool TryWrite(ulong address, ReadOnlySpan<byte> bytes)
    {
        if (!hostVisibleMemory)
        {
            return false;
        }

        bytes.CopyTo(new Span<byte>((void*)address, bytes.Length));
        return true;
    }

    public override byte[]? TryRead(ulong address, long length) =>
        hostVisibleMemory ? new ReadOnlySpan<byte>((void*)address, checked((int)length)).ToArray() : null;

    protected override void Dispose(bool disposing)
    {
        _factory.Dispose();
        base.Dispose(disposing);
    }
}
