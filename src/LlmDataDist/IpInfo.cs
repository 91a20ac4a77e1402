using System.Net;

namespace LlmDataDist;

/// <summary>
/// Conversions between the header's endpoint record and <see cref="IPEndPoint"/>, the type of
/// <see cref="LlmDataDistOptions.ListenIpInfo"/>: a prompt's listen endpoint can be handed to its peers' cluster
/// descriptions as it is, and the other way round.
/// </summary>
public sealed partial record IpInfo
{
    /// <summary>An endpoint's address text and port; IPv4 addresses give the dotted text the engines expect.</summary>
    /// <param name="endpoint">The endpoint, for example a prompt's <see cref="LlmDataDistOptions.ListenIpInfo"/>.</param>
    /// <returns>The same endpoint as the header's record.</returns>
    public static IpInfo FromIPEndPoint(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new IpInfo(endpoint.Address.ToString(), (ushort)endpoint.Port);
    }

    /// <summary>Lossless: every endpoint is an address and a port (see <see cref="FromIPEndPoint"/>).</summary>
    /// <param name="endpoint">The endpoint.</param>
    public static implicit operator IpInfo(IPEndPoint endpoint) => FromIPEndPoint(endpoint);

    /// <summary>This endpoint as an <see cref="IPEndPoint"/>, for example to listen on it.</summary>
    /// <returns>The endpoint.</returns>
    /// <exception cref="FormatException"><see cref="Ip"/> is not an IP address (the engines reject such an entry too).</exception>
    public IPEndPoint ToIPEndPoint() =>
        IPAddress.TryParse(Ip, out var address)
            ? new IPEndPoint(address, Port)
            : throw new FormatException($"IpInfo.Ip \"{Ip}\" is not an IP address.");
}
