namespace LlmDataDist.Simulator;

/// <summary>Who drives a transfer, seen from the device that calls it.</summary>
public enum TransferDirection
{
    /// <summary>The device writes a remote device (a push, HIXL's D2rD); CSV value <c>D2rD</c>.</summary>
    Push,

    /// <summary>The device reads a remote device (a pull, HIXL's rD2D); CSV value <c>rD2D</c>.</summary>
    Pull,
}
