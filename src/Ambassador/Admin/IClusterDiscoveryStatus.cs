namespace Ambassador.Admin;

/// <summary>What discovery knows about one cluster, for <c>/admin/clusters</c> and <c>/readyz</c>.</summary>
/// <param name="Source"><c>static</c> or <c>consul</c>.</param>
/// <param name="Index">Last Consul index seen, when the source is Consul.</param>
/// <param name="LastSuccess">Time of the last successful resolution.</param>
/// <param name="LastError">The last error, or null after a success.</param>
/// <param name="Resolved">True once the cluster was resolved at least once.</param>
public sealed record ClusterDiscoveryStatus(string Source, long? Index, DateTimeOffset? LastSuccess, string? LastError, bool Resolved);

/// <summary>Implemented by discovery to report per-cluster state; absent means every cluster is static.</summary>
public interface IClusterDiscoveryStatus
{
    /// <summary>Returns the cluster's discovery state, or null when the cluster uses static destinations.</summary>
    ClusterDiscoveryStatus? GetStatus(string clusterId);
}
