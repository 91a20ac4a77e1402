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
    public LlmDataDistException(LlmStatus status, string operation, ClusterResults? clusters = null)
        : base(Describe(status, operation, clusters))
    {
        Status = status;
        Operation = operation;
        Clusters = clusters;
    }

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
    public static void ThrowIfFailed(LlmStatus status, string operation, ClusterResults? clusters = null)
    {
        if (status != LlmStatus.Success)
        {
            throw Create(status, operation, clusters);
        }
    }

    private static string Describe(LlmStatus status, string operation, ClusterResults? clusters)
    {
        // Runtime (ACL) codes are documented in decimal, LLM codes in hex: an unnamed code shows both.
        var name = status.GetNativeName()
            ?? $"status {((uint)status).ToString(CultureInfo.InvariantCulture)} (0x{((uint)status).ToString("X8", CultureInfo.InvariantCulture)})";
        var advice = status.GetAdvice();
        var text = $"{operation} failed with {name}: {status.GetDescription()}";
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
