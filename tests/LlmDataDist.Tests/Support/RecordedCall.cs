using System.Collections;

namespace LlmDataDist.Tests.Support;

/// <summary>One call the client made on the backend: the contract method (without "Async") and its arguments by name.</summary>
public sealed record RecordedCall(string Method, IReadOnlyDictionary<string, object?> Arguments, CancellationToken CancellationToken)
{
    public T Arg<T>(string name) => (T)Arguments[name]!;

    // Shows list arguments by content so an assertion failure says what the backend actually saw.
    public override string ToString() =>
        $"{Method}({string.Join(", ", Arguments.Select(a => $"{a.Key}: {(a.Value is IEnumerable e and not string ? SequenceEquality.Print(e) : a.Value)}"))})";
}
