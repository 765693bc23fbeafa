using System.Collections.Concurrent;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.LoadBalancing;

/// <summary>The <see cref="PeakEwma"/> estimates of every destination that a <c>PeakEwma</c> cluster sent attempts to.</summary>
internal sealed class PeakEwmaRegistry(TimeProvider timeProvider) : IClusterChangeListener
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), PeakEwma> _estimates = new();

    public TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>The estimate of a destination in seconds; 0 for one that never answered (it is tried first).</summary>
    public double Estimate(string clusterId, string destinationId, TimeSpan window)
        => _estimates.TryGetValue((clusterId, destinationId), out var ewma)
            ? ewma.Estimate(TimeProvider.GetTimestamp(), window.TotalSeconds, TimeProvider.TimestampFrequency)
            : 0;

    /// <summary>Adds one attempt's latency; a failed or throttled attempt counts as slow (see <see cref="LoadBalancingConstants.FailurePenaltyFloor"/>).</summary>
    public void Observe(string clusterId, string destinationId, TimeSpan latency, bool failed, TimeSpan window)
    {
        var now = TimeProvider.GetTimestamp();
        var ewma = _estimates.GetOrAdd((clusterId, destinationId), static (_, n) => new PeakEwma(n), now);
        var seconds = latency.TotalSeconds;
        if (failed)
        {
            var current = ewma.Estimate(now, window.TotalSeconds, TimeProvider.TimestampFrequency);
            seconds = Math.Max(seconds, Math.Max(2 * current, LoadBalancingConstants.FailurePenaltyFloor.TotalSeconds));
        }

        ewma.Observe(seconds, now, window.TotalSeconds, TimeProvider.TimestampFrequency);
    }

    /// <summary>Forgets the destinations of a cluster that no longer exist.</summary>
    public void Prune(string clusterId, Func<string, bool> stillExists)
    {
        foreach (var key in _estimates.Keys)
        {
            if (string.Equals(key.Cluster, clusterId, StringComparison.Ordinal) && !stillExists(key.Destination))
            {
                _estimates.TryRemove(key, out _);
            }
        }
    }

    public void OnClusterAdded(ClusterState cluster)
    {
    }

    public void OnClusterChanged(ClusterState cluster) => Prune(cluster.ClusterId, cluster.Destinations.ContainsKey);

    public void OnClusterRemoved(ClusterState cluster) => Prune(cluster.ClusterId, static _ => false);
}
