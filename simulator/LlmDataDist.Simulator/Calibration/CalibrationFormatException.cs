namespace LlmDataDist.Simulator;

/// <summary>A calibration CSV that breaks a rule of its schema; nothing was loaded.</summary>
public sealed class CalibrationFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourceName">The file name or other label of the text.</param>
    /// <param name="lineNumber">The 1-based line (the header is line 1).</param>
    /// <param name="rule">The rule broken, stated so the fix is clear.</param>
    public CalibrationFormatException(string sourceName, int lineNumber, string rule)
        : base($"{sourceName}:{lineNumber}: {rule}")
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        Rule = rule;
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    public CalibrationFormatException()
        : this("calibration", 0, "invalid calibration data")
    {
    }

    /// <summary>Creates the exception with a message only (for serializers and tooling).</summary>
    /// <param name="message">The message.</param>
    public CalibrationFormatException(string message)
        : this("calibration", 0, message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CalibrationFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        SourceName = "calibration";
        Rule = message;
    }

    /// <summary>The file name or other label of the text.</summary>
    public string SourceName { get; } = "calibration";

    /// <summary>The 1-based line that broke the rule (the header is line 1).</summary>
    public int LineNumber { get; }

    /// <summary>The rule broken.</summary>
    public string Rule { get; } = "";
}
