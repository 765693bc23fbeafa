using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace Ambassador.Policies.Limits;

/// <summary>
/// Concurrency limits of each cluster that uses the policy (<c>...:Limits</c>; Envoy's cluster "circuit breakers").
/// A request over <see cref="MaxConcurrentRequests"/> waits in a queue of <see cref="MaxQueuedRequests"/> for at most
/// <see cref="QueueTimeout"/>; a full queue or an expired wait is answered 503 <c>overloaded</c> at once. A retry that
/// would put more than <see cref="MaxConcurrentRetries"/> retries in flight is not made.
/// </summary>
public sealed record LimitsPolicyOptions
{
    /// <summary>Requests of one cluster in flight at once. Default 1024, between 1 and 1000000.</summary>
    [Range(1, LimitsConstants.MaxCount, ErrorMessage = "must be between {1} and {2}")]
    public int MaxConcurrentRequests { get; set; } = LimitsConstants.DefaultMaxConcurrentRequests;

    /// <summary>Requests waiting for a place once the cluster is full; 0 answers at once. Default 1024, between 0 and 1000000.</summary>
    [Range(0, LimitsConstants.MaxCount, ErrorMessage = "must be between {1} and {2}")]
    public int MaxQueuedRequests { get; set; } = LimitsConstants.DefaultMaxQueuedRequests;

    /// <summary>Longest wait in the queue. Default 00:00:01, between 00:00:00.001 and 00:10:00.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), LimitsConstants.MinQueueTimeoutText, LimitsConstants.MaxQueueTimeoutText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan QueueTimeout { get; set; } = LimitsConstants.DefaultQueueTimeout;

    /// <summary>Retries of one cluster in flight at once; 0 makes none. Default 3, between 0 and 1000000.</summary>
    [Range(0, LimitsConstants.MaxCount, ErrorMessage = "must be between {1} and {2}")]
    public int MaxConcurrentRetries { get; set; } = LimitsConstants.DefaultMaxConcurrentRetries;
}
