namespace LlmDataDist.Simulator.Cli;

/// <summary>Bad input from the user: printed as is (one line per problem), exit code 2, nothing run.</summary>
/// <param name="message">One line per problem, each naming the option or file, JSON path and rule.</param>
internal sealed class UsageException(string message) : Exception(message);
