namespace LlmDataDist.Conformance;

/// <summary>
/// What the conformance suite needs from a backend: instances on servers, memory it can fill and read (to check
/// bytes end to end), and a way to run scenario code (the simulator pumps its virtual-time loop; hardware just runs).
/// </summary>
public interface IConformanceHarness : IDisposable
{
    /// <summary>The engine this backend behaves like.</summary>
    ConformanceProfile Profile { get; }

    /// <summary>Creates an instance (the C++ constructor) on a server.</summary>
    /// <param name="clusterId">The cluster id.</param>
    /// <param name="role">The role.</param>
    /// <param name="server">The server index.</param>
    /// <returns>The instance.</returns>
    ILlmDataDistBackend Create(ulong clusterId, LlmRole role, int server = 0);

    /// <summary>Runs scenario code to completion.</summary>
    /// <param name="scenario">The scenario.</param>
    void Run(Func<Task> scenario);

    /// <summary>The clock calls are timed against (virtual time in the simulator).</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Device memory that a test registers as a cache (HX) or copies from (CE Copy).</summary>
    /// <param name="server">The server index.</param>
    /// <param name="deviceId">The device id on that server.</param>
    /// <param name="bytes">The size.</param>
    /// <returns>The address.</returns>
    ulong AllocateDeviceMemory(int server, int deviceId, long bytes);

    /// <summary>Host memory (for CE D2H / H2D copies).</summary>
    /// <param name="server">The server index.</param>
    /// <param name="bytes">The size.</param>
    /// <returns>The address.</returns>
    ulong AllocateHostMemory(int server, long bytes);

    /// <summary>Writes bytes at an address.</summary>
    /// <param name="address">Where.</param>
    /// <param name="bytes">What.</param>
    void Write(ulong address, ReadOnlySpan<byte> bytes);

    /// <summary>Reads bytes at an address.</summary>
    /// <param name="address">Where.</param>
    /// <param name="length">How many.</param>
    /// <returns>The bytes.</returns>
    byte[] Read(ulong address, long length);
}
