namespace Ambassador.Policies.Limits;

/// <summary>
/// Defaults and limits of <see cref="LimitsPolicyOptions"/>. The defaults are Envoy's cluster circuit-breaker thresholds
/// (<c>max_requests</c> 1024, <c>max_pending_requests</c> 1024, <c>max_retries</c> 3): far above what one app sends
/// through its sidecar, so they only bite when an upstream stalls and requests pile up.
/// </summary>
public static class LimitsConstants
{
    /// <summary>Requests of one cluster in flight at once: 1024 (Envoy's <c>max_requests</c>).</summary>
    public const int DefaultMaxConcurrentRequests = 1024;

    /// <summary>Requests of one cluster waiting for a place once it is full: 1024 (Envoy's <c>max_pending_requests</c>).</summary>
    public const int DefaultMaxQueuedRequests = 1024;

    /// <summary>Retries of one cluster in flight at once: 3 (Envoy's <c>max_retries</c>).</summary>
    public const int DefaultMaxConcurrentRetries = 3;

    /// <summary>Largest value of any of the counts: 1000000.</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>How long a queued request waits for a place: 1 s; a request that waited that long met a saturated upstream.</summary>
    public static readonly TimeSpan DefaultQueueTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Shortest queue timeout: 1 ms.</summary>
    public const string MinQueueTimeoutText = "00:00:00.001";

    /// <summary>Longest queue timeout: 10 min.</summary>
    public const string MaxQueueTimeoutText = "00:10:00";
}
