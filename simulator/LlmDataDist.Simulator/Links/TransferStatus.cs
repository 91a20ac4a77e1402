namespace LlmDataDist.Simulator;

/// <summary>How a modeled transfer ended.</summary>
public enum TransferStatus
{
    /// <summary>All bytes arrived by the deadline.</summary>
    Completed,

    /// <summary>The modeled completion is later than the deadline, or the transfer was lost (down link, drop) and
    /// the deadline came first. The outcome ends exactly at the deadline.</summary>
    TimedOut,

    /// <summary>Lost (down link, drop) with no deadline to wait for: ends at once instead of hanging.</summary>
    Failed,

    /// <summary>The caller's token was canceled first.</summary>
    Canceled,
}
