using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LlmDataDist;

/// <summary>
/// Renders typed option values as the strings the library parses, rejecting values that every engine rejects,
/// so a bad option fails in .NET with the rule it breaks instead of as LLM_PARAM_INVALID.
/// </summary>
internal static class LlmOptionFormat
{
    /// <summary>A non-negative decimal integer (device ids).</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option's name, for the error.</param>
    /// <returns>The text.</returns>
    public static string Int(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, name);
        return value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>An unsigned decimal integer.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option's name (unused: every value is valid).</param>
    /// <returns>The text.</returns>
    public static string UInt(uint value, string name) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"1" or "0".</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option's name (unused: every value is valid).</param>
    /// <returns>The text.</returns>
    public static string Bool(bool value, string name) => value ? "1" : "0";

    /// <summary>Whole milliseconds, at least 1 (the library accepts "0", with an effect nobody documented).</summary>
    /// <param name="value">The duration.</param>
    /// <param name="name">The option's name, for the error.</param>
    /// <returns>The text.</returns>
    public static string Milliseconds(TimeSpan value, string name) =>
        LlmArguments.ToMilliseconds(value, name).ToString(CultureInfo.InvariantCulture);

    /// <summary><c>IPv4:port</c>, or <c>[IPv6]:port</c> (HX only; CE rejects it).</summary>
    /// <param name="value">The endpoint.</param>
    /// <param name="name">The option's name, for the error.</param>
    /// <returns>The text.</returns>
    public static string Endpoint(IPEndPoint value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"{name} must be an IPv4 or IPv6 endpoint.", name);
        }

        var address = value.Address.ToString();
        return value.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{address}]:{value.Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{address}:{value.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A non-empty string.</summary>
    /// <param name="value">The value.</param>
    /// <param name="name">The option's name, for the error.</param>
    /// <returns>The text.</returns>
    public static string String(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }

    /// <summary>A JSON document; it must parse (the library rejects invalid JSON at Initialize).</summary>
    /// <param name="value">The JSON text.</param>
    /// <param name="name">The option's name, for the error.</param>
    /// <returns>The text, unchanged.</returns>
    public static string Json(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(value);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new ArgumentException($"{name} must be valid JSON: {ex.Message}", name, ex);
        }

        return value;
    }

    /// <summary>Adds pass-through options; a key that a typed property already set is an error, not a silent override.</summary>
    /// <param name="map">The map being built.</param>
    /// <param name="additional">The pass-through options.</param>
    public static void AddAdditional(IDictionary<string, string> map, IDictionary<string, string> additional)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(additional);
        foreach (var (key, value) in additional)
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("Option keys must not be empty.", nameof(additional));
            }

            if (!map.TryAdd(key, value ?? throw new ArgumentException($"Option '{key}' has a null value.", nameof(additional))))
            {
                throw new ArgumentException($"Option '{key}' is set both as a typed property and in AdditionalOptions.", nameof(additional));
            }
        }
    }
}
