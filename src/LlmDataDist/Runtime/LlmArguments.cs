namespace LlmDataDist;

/// <summary>Argument conversions and checks shared by the generated client and its validation.</summary>
internal static class LlmArguments
{
    /// <summary>A positive timeout in whole milliseconds that fits the header's int32 (a partial millisecond rounds up).</summary>
    /// <param name="value">The timeout.</param>
    /// <param name="name">The parameter's name, for the error.</param>
    /// <returns>The milliseconds.</returns>
    public static int ToMilliseconds(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than zero.");
        }

        var milliseconds = Math.Ceiling(value.TotalMilliseconds);
        if (milliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at most {int.MaxValue} ms (an int32 in the header).");
        }

        return (int)milliseconds;
    }

    /// <summary>Throws when a list holds a null item.</summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="items">The list.</param>
    /// <param name="name">The parameter's name, for the error.</param>
    public static void NoNullElements<T>(IReadOnlyList<T> items, string name)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                throw new ArgumentException($"{name}[{i}] is null.", name);
            }
        }
    }
}
