using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// Forgets the breakers of destinations that left a cluster (discovery churn, a config edit) or of clusters that
/// were removed, so the registry and the <c>ambassador.circuit_breaker.state</c> gauge only hold live destinations.
/// A destination that stays keeps its breaker: its id is stable across refreshes.
/// </summary>
internal sealed class BreakerPruningListener(DestinationBreakerRegistry registry) : IClusterChangeListener
{
    public void OnClusterAdded(ClusterState cluster)
    {
    }

    public void OnClusterChanged(ClusterState cluster)
    {
        var destinations = cluster.Destinations;
        registry.Prune(cluster.ClusterId, destinations.ContainsKey);
    }

    public void OnClusterRemoved(ClusterState cluster) => registry.Prune(cluster.ClusterId, static _ => false);
}
