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
/// <remarks>
/// Why not Microsoft.Extensions.ServiceDiscovery.Yarp's resolver with a Consul <c>IServiceEndpointProvider</c>: its
/// change-token path would push in time, but (1) it renames every destination of every cluster, static ones
/// included (<c>d1</c> becomes <c>d1[127.0.0.1:5001]</c>); (2) its pass-through provider turns a name with no
/// instances into <c>inventory:80</c>, i.e. a DNS lookup, and without it literal addresses have no provider at all;
/// (3) its resolver disposes watchers not queried for 10–20 s, and YARP queries only on change, so a Consul watch
/// could not live in a provider; (4) a provider error switches it to 60 s polling and fails YARP's whole reload.
/// </remarks>
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
