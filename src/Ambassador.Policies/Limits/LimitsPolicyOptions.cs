
namespace Ambassador.Policies.Limits;

/// <summary>
/// Concurrency limits of each cluster that uses the policy (<c>...:Limits</c>; Envoy's cluster "circuit breakers").
/// A request over <see cref="MaxConcurrentRequests"/> waits in a queue of <see cref="MaxQueuedRequests"/> for at most
/// <see cref="QueueTimeout"/>; a full queue or an expired wait is answered 503 <c>overloaded</c> at once. A retry that
/// would put more than <see cref="MaxConcurrentRetries"/> retries in flight is not made.
/// </summary>
public sealed record LimitsPolicyOptions
{
    /// <summary>Whether the clusters of this policy have these limits at all. Default true.</summary>
    public bool Enabled { get; set; } = PolicyOptionTable.LimitsEnabled.Default;

    /// <summary>Requests of one cluster in flight at once. Default 1024, between 1 and 1000000.</summary>
    public int MaxConcurrentRequests { get; set; } = PolicyOptionTable.MaxConcurrentRequests.Default;

    /// <summary>Requests waiting for a place once the cluster is full; 0 answers at once. Default 1024, between 0 and 1000000.</summary>
    public int MaxQueuedRequests { get; set; } = PolicyOptionTable.MaxQueuedRequests.Default;

    /// <summary>Longest wait in the queue. Default 00:00:01, between 00:00:00.001 and 00:10:00.</summary>
    public TimeSpan QueueTimeout { get; set; } = PolicyOptionTable.QueueTimeout.Default;

    /// <summary>Retries of one cluster in flight at once; 0 makes none. Default 1024, between 0 and 1000000.</summary>
    public int MaxConcurrentRetries { get; set; } = PolicyOptionTable.MaxConcurrentRetries.Default;
}
