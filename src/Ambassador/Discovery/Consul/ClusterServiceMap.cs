using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Discovery.Consul;

/// <summary>
/// Which clusters name which Consul services, read from the configured (unresolved) YARP config. YARP's destination
/// resolver sees destinations only, not their cluster, so metrics and admin status find the cluster here.
/// </summary>
internal sealed class ClusterServiceMap(IServiceProvider services, IOptionsMonitor<ConsulOptions> options)
{
    private bool Enabled => options.CurrentValue.IsEnabled();

    /// <summary>The Consul services a cluster's destinations name; empty for a static (or unknown) cluster.</summary>
    public IReadOnlyList<string> ServicesOf(string clusterId)
    {
        foreach (var cluster in Clusters())
        {
            if (string.Equals(cluster.ClusterId, clusterId, StringComparison.OrdinalIgnoreCase))
            {
                return ServiceNames(cluster);
            }
        }

        return [];
    }

    /// <summary>The clusters that name <paramref name="service"/>.</summary>
    public IEnumerable<string> ClustersOf(string service)
    {
        foreach (var (cluster, names) in DiscoveredClusters())
        {
            if (names.Contains(service, StringComparer.OrdinalIgnoreCase))
            {
                yield return cluster;
            }
        }
    }

    /// <summary>Every cluster that uses Consul, with its service names.</summary>
    public IEnumerable<(string ClusterId, IReadOnlyList<string> Services)> DiscoveredClusters()
    {
        foreach (var cluster in Clusters())
        {
            var names = ServiceNames(cluster);
            if (names.Count > 0)
            {
                yield return (cluster.ClusterId, names);
            }
        }
    }

    private List<string> ServiceNames(ClusterConfig cluster)
    {
        if (!Enabled || cluster.Destinations is null)
        {
            return [];
        }

        List<string>? names = null;
        foreach (var destination in cluster.Destinations.Values)
        {
            if (ConsulServiceName.TryGet(destination, out var name, out _))
            {
                names ??= [];
                if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(name);
                }
            }
        }

        return names ?? [];
    }

    /// <summary>Fires when any proxy configuration provider publishes a new configuration.</summary>
    public IChangeToken GetChangeToken()
    {
        var tokens = new List<IChangeToken>();
        foreach (var provider in services.GetServices<IProxyConfigProvider>())
        {
            if (provider.GetConfig()?.ChangeToken is { } token)
            {
                tokens.Add(token);
            }
        }

        return new CompositeChangeToken(tokens);
    }

    private IEnumerable<ClusterConfig> Clusters()
    {
        foreach (var provider in services.GetServices<IProxyConfigProvider>())
        {
            if (provider.GetConfig()?.Clusters is { } clusters)
            {
                foreach (var cluster in clusters)
                {
                    yield return cluster;
                }
            }
        }
    }
}
