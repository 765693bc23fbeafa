using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.CircuitBreaker;

/// <summary>
/// Forgets the breakers of destinations that left a cluster (discovery churn, a config edit) or of clusters that
/// were removed, so the registry and the <c>ambassador.circuit_breaker.state</c> gauge only hold live destinations.
/// A destination that stays keeps its breaker: its id is stable across refreshes. The destination count it records is
/// the base of each cluster's ejection cap (<c>MaxEjectionPercent</c>).
/// </summary>
internal sealed class BreakerPruningListener(DestinationBreakerRegistry registry) : IClusterChangeListener
{
    public void OnClusterAdded(ClusterState cluster) => registry.SetDestinationCount(cluster.ClusterId, cluster.Destinations.Count);

    public void OnClusterChanged(ClusterState cluster)
    {
        var destinations = cluster.Destinations;
        registry.SetDestinationCount(cluster.ClusterId, destinations.Count);
        registry.Prune(cluster.ClusterId, destinations.ContainsKey);
    }

    public void OnClusterRemoved(ClusterState cluster) => registry.ForgetCluster(cluster.ClusterId);
}
