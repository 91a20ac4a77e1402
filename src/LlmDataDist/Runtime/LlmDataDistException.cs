using System.Globalization;

namespace LlmDataDist;

/// <summary>
/// A call returned a failure status. Each named status has its own subclass (for example
/// <see cref="LlmNotYetLinkException"/>); a raw code the header does not name comes as this type with the number kept.
/// </summary>
public partial class LlmDataDistException : Exception
{
    /// <summary>Creates the exception for a status of an operation.</summary>
    /// <param name="status">The status.</param>
    /// <param name="operation">The C++ name of the operation.</param>
    /// <param name="clusters">Per-cluster results, for link and unlink.</param>
    /// <param name="reason">Which rule failed, when the backend said (see <see cref="LlmFailureReasons"/>).</param>
    public LlmDataDistException(LlmStatus status, string operation, ClusterResults? clusters = null, string? reason = null)
        : base(Describe(status, operation, clusters, reason))
    {
        Status = status;
        Operation = operation;
        Clusters = clusters;
        Reason = reason;
    }

    /// <summary>Which rule the call broke, as the backend put it (for example <c>dst block 4096 ≥ 64 rows</c>); null
    /// when the backend does not say (the C++ API itself returns only the status).</summary>
    public string? Reason { get; }

    /// <summary>The status the call returned; unnamed codes keep their number.</summary>
    public LlmStatus Status { get; }

    /// <summary>The raw status code.</summary>
    public uint StatusCode => (uint)Status;

    /// <summary>The C++ name of the operation that failed.</summary>
    public string Operation { get; }

    /// <summary>Per-cluster results of a failed link or unlink call; null for other calls.</summary>
    public ClusterResults? Clusters { get; }

    /// <summary>Whether the documentation calls the status recoverable.</summary>
    public bool IsRecoverable => Status.IsRecoverable();

    /// <summary>Throws the exception that belongs to a failure status; does nothing on success.</summary>
    /// <param name="status">The status.</param>
    /// <param name="operation">The C++ name of the operation.</param>
    /// <param name="clusters">Per-cluster results, for link and unlink.</param>
    /// <param name="reason">Which rule failed, when known.</param>
    public static void ThrowIfFailed(LlmStatus status, string operation, ClusterResults? clusters = null, string? reason = null)
    {
        if (status != LlmStatus.Success)
        {
            throw Create(status, operation, clusters, reason);
        }
    }

    private static string Describe(LlmStatus status, string operation, ClusterResults? clusters, string? reason)
    {
        // Runtime (ACL) codes are documented in decimal, LLM codes in hex: an unnamed code shows both.
        var name = status.GetNativeName()
            ?? $"status {((uint)status).ToString(CultureInfo.InvariantCulture)} (0x{((uint)status).ToString("X8", CultureInfo.InvariantCulture)})";
        // The status's advice is written for the calls that usually return it; a failed Initialize is not "call
        // Initialize first", it is Initialize itself that failed.
        var advice = status == LlmStatus.Failed && operation == "Initialize"
            ? "Initialize itself failed: check the options and the library log; the instance stays uninitialized."
            : status.GetAdvice();
        var text = reason is null
            ? $"{operation} failed with {name}: {status.GetDescription()}"
            : $"{operation} failed with {name}: {reason}. {status.GetDescription()}";
        if (advice.Length > 0)
        {
            text += " " + advice;
        }

        if (clusters is not null && clusters.Count > 0)
        {
            text += " Clusters: " + clusters;
        }

        return text;
    }
}
