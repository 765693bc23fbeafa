using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Discovery.Consul;

/// <summary>Decides which destination addresses name a service to discover.</summary>
internal static class ConsulServiceName
{
    /// <summary>
    /// True when <paramref name="destination"/>'s address host is a name (not an IP literal, not <c>localhost</c>)
    /// and the destination did not opt out with metadata <c>"Discovery": "static"</c>.
    /// </summary>
    public static bool TryGet(DestinationConfig destination, out string serviceName, out Uri address)
    {
        serviceName = string.Empty;
        address = null!;
        if (destination.Metadata is { } metadata
            && metadata.TryGetValue(ConsulConstants.DiscoveryMetadataKey, out var mode)
            && string.Equals(mode, ConsulConstants.StaticDiscovery, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var uri)
            || uri.HostNameType != UriHostNameType.Dns
            || string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        serviceName = uri.IdnHost;
        address = uri;
        return true;
    }
}
