using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LlmDataDist.Simulator.Semantics;

/// <summary>The engines' text parsers for addresses (reference §1.2, §7): IPv4 only for IpInfo, IPv4 or [IPv6] for HX listen.</summary>
public static class IpText
{
    /// <summary>Dotted-quad IPv4, as inet_pton accepts it.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Whether it is an IPv4 address.</returns>
    public static bool IsIpv4(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || int.Parse(part, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses a listen endpoint: <c>IPv4:port</c> (exactly one ':'), or for HX also <c>[IPv6]:port</c>. Ports up to 2^32-1 parse, as in the engine.</summary>
    /// <param name="text">The text.</param>
    /// <param name="allowIpv6">Whether the bracketed IPv6 form is accepted (HX).</param>
    /// <param name="endpoint">The host text and port.</param>
    /// <returns>Whether it parsed.</returns>
    public static bool TryParseListen(string text, bool allowIpv6, out (string Host, long Port) endpoint)
    {
        endpoint = default;
        string host;
        string port;
        if (allowIpv6 && text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
        }
        else
        {
            var parts = text.Split(':');
            if (parts.Length != 2 || !IsIpv4(parts[0]))
            {
                return false;
            }

            host = parts[0];
            port = parts[1];
        }

        if (port.Length == 0 || !port.All(char.IsAsciiDigit) || !long.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > uint.MaxValue)
        {
            return false;
        }

        endpoint = (host, value);
        return true;
    }
}
