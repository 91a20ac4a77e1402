using System.Runtime.InteropServices;

namespace LlmDataDist.Ascend.Interop;

/// <summary>
/// Owns one native <c>llmdd_instance</c> (one C++ <c>llm_datadist::LlmDataDist</c>). Every call takes a reference
/// (the backend's <see cref="SafeHandle.DangerousAddRef"/> when it accepts a call, and LibraryImport's own around the
/// P/Invoke), so <see cref="SafeHandle.Dispose()"/> only marks the handle: the destructor runs after the last call in
/// flight returns, and a call accepted after Dispose fails with <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed class NativeInstanceHandle : SafeHandle
{
    /// <summary>Creates an invalid handle; LibraryImport fills it from <c>llmdd_create</c>'s out-parameter, so nothing
    /// can fail between "the native object exists" and "a managed object owns it".</summary>
    public NativeInstanceHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Runs the C++ destructor (which finalizes the instance if needed). Never throws: it may run on the
    /// finalizer thread when a backend was not disposed.</summary>
    /// <returns>Always true.</returns>
    protected override bool ReleaseHandle()
    {
        NativeMethods.Destroy(handle);
        return true;
    }
}
