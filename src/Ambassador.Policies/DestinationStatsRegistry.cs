using System.Collections.Concurrent;

namespace Ambassador.Policies;

/// <summary>
/// Per-destination attempt counters shown on <c>/admin/clusters</c>. One record per upstream attempt,
/// so a request that was retried counts once on every destination it touched.
/// </summary>
public sealed class DestinationStatsRegistry
{
    private readonly ConcurrentDictionary<(string Cluster, string Destination), DestinationStats> _stats = new();

    /// <summary>Records one finished attempt against a destination.</summary>
    public void RecordAttempt(string clusterId, string destinationId, bool failed)
    {
        var stats = _stats.GetOrAdd((clusterId, destinationId), static _ => new DestinationStats());
        Interlocked.Increment(ref stats.RequestCount);
        if (failed)
        {
            Interlocked.Increment(ref stats.FailureCount);
        }
    }

    /// <summary>Returns the counters of one destination (zeros when it never saw traffic).</summary>
    public (long Requests, long Failures) Get(string clusterId, string destinationId) =>
        _stats.TryGetValue((clusterId, destinationId), out var stats)
            ? (Volatile.Read(ref stats.RequestCount), Volatile.Read(ref stats.FailureCount))
            : (0, 0);

    private sealed class DestinationStats
    {
        public long RequestCount;
        public long FailureCount;
    }
}
