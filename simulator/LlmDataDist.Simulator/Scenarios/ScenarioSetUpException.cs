namespace LlmDataDist.Simulator.Scenarios;

/// <summary>A scenario could not start: its fault plan kept a link from being established at set-up.</summary>
public sealed class ScenarioSetUpException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ScenarioSetUpException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, and the fault plan.</param>
    public ScenarioSetUpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public ScenarioSetUpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
