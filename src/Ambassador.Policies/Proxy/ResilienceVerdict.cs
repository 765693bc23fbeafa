namespace Ambassador.Policies.Proxy;

/// <summary>What the host must still do after the resilience middleware ran.</summary>
internal enum ResilienceVerdict
{
    /// <summary>The response (upstream's, or YARP's error status) is on the HttpContext; nothing more to do.</summary>
    Forwarded,

    /// <summary>Every destination's breaker is open; answer 503 <c>circuit-open</c>. No upstream was contacted.</summary>
    CircuitOpen,

    /// <summary>The per-try timeout (last attempt) or the total timeout expired; answer 504 <c>upstream-timeout</c>.</summary>
    Timeout,
}
