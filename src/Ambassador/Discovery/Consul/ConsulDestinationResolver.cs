using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Ambassador.Discovery.Consul;

/// <summary>
/// YARP's destination resolver for Consul. A destination whose address names a service (<c>http://inventory</c>) is
/// replaced by one destination per instance Consul reports, with the stable id <c>inventory[10.0.0.5:8080]</c>, the
/// original scheme and path, and <c>Host: inventory</c> unless the destination sets its own <c>Host</c>. IP-literal and
/// localhost addresses pass through unchanged. The returned change token fires as soon as a watcher's set changes,
/// so YARP applies it at once. A name with no answer yet has no destination (never a DNS lookup).
/// </summary>
internal sealed class ConsulDestinationResolver(ConsulDiscovery discovery) : IDestinationResolver
{
    /// <inheritdoc />
    public ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations,
        CancellationToken cancellationToken)
    {
        var optionsToken = discovery.GetOptionsChangeToken();
        if (!discovery.Enabled)
        {
            return new(new ResolvedDestinationCollection(destinations, optionsToken));
        }

        var tokens = new List<IChangeToken> { optionsToken };
        var resolved = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, destination) in destinations)
        {
            if (!ConsulServiceName.TryGet(destination, out var service, out var address))
            {
                resolved[id] = destination;
                continue;
            }

            var watcher = discovery.GetWatcher(service);

            // Token before snapshot: a change between the two fires the token we hand out, never lost.
            tokens.Add(watcher.GetChangeToken());
            foreach (var endpoint in watcher.Snapshot.Endpoints)
            {
                resolved[DestinationId(service, endpoint)] = destination with
                {
                    Address = Rewrite(address, endpoint),
                    Host = string.IsNullOrEmpty(destination.Host) ? service : destination.Host,
                    Health = destination.Health is { Length: > 0 } health && Uri.TryCreate(health, UriKind.Absolute, out var healthUri)
                        ? Rewrite(healthUri, endpoint)
                        : destination.Health,
                };
            }
        }

        return new(new ResolvedDestinationCollection(resolved, new CompositeChangeToken(tokens)));
    }

    /// <summary>The id of one discovered instance; the same for as long as the instance keeps its address.</summary>
    internal static string DestinationId(string service, ConsulEndpoint endpoint) => $"{service}[{endpoint.Authority}]";

    internal static string Rewrite(Uri original, ConsulEndpoint endpoint) =>
        new UriBuilder(original) { Host = endpoint.Host, Port = endpoint.Port }.Uri.ToString();
}
