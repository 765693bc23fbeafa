using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ambassador.Discovery.Consul;

/// <summary>One instance of a service: where to send traffic.</summary>
/// <param name="Host">IP address or host name, without brackets.</param>
/// <param name="Port">TCP port.</param>
internal readonly record struct ConsulEndpoint(string Host, int Port) : IComparable<ConsulEndpoint>
{
    /// <summary><c>host:port</c>, IPv6 hosts in brackets; the stable part of the destination id.</summary>
    public string Authority => IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6
        ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <inheritdoc />
    public int CompareTo(ConsulEndpoint other)
    {
        var byHost = string.CompareOrdinal(Host, other.Host);
        return byHost != 0 ? byHost : Port.CompareTo(other.Port);
    }

    /// <summary>
    /// Maps Consul's entries to endpoints: <c>Service.Address</c>, falling back to <c>Node.Address</c> when empty;
    /// port <c>Service.Port</c>. Drops entries without a usable address or port and, as a second line of defence
    /// (Consul already filters with <c>passing</c>), instances with a critical check. Sorted and distinct, so equal
    /// answers compare equal.
    /// </summary>
    public static IReadOnlyList<ConsulEndpoint> FromEntries(IEnumerable<ConsulServiceEntry> entries, bool onlyPassing)
    {
        var set = new SortedSet<ConsulEndpoint>();
        foreach (var entry in entries)
        {
            if (entry?.Service is not { } service || service.Port is <= 0 or > 65535)
            {
                continue;
            }

            if (entry.Checks is { } checks && checks.Any(c => c is not null && IsExcluded(c.Status, onlyPassing)))
            {
                continue;
            }

            var address = !string.IsNullOrWhiteSpace(service.Address) ? service.Address : entry.Node?.Address;
            if (string.IsNullOrWhiteSpace(address))
            {
                continue;
            }

            set.Add(new ConsulEndpoint(address.Trim().Trim('[', ']'), service.Port));
        }

        return [.. set];
    }

    private static bool IsExcluded(string? status, bool onlyPassing) =>
        string.Equals(status, "critical", StringComparison.OrdinalIgnoreCase)
        || (onlyPassing && string.Equals(status, "warning", StringComparison.OrdinalIgnoreCase));
}
