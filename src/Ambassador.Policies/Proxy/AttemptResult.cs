using Ambassador.Policies.Retry;

namespace Ambassador.Policies.Proxy;

/// <summary>How one upstream attempt ended.</summary>
internal enum AttemptKind
{
    /// <summary>The upstream answered with a status code.</summary>
    Response,

    /// <summary>No connection could be made (refused, unreachable, DNS, TLS handshake).</summary>
    ConnectFailure,

    /// <summary>The upstream answered that it cannot serve the call (a gRPC trailers-only UNAVAILABLE): a failure like a 503.</summary>
    Unavailable,

    /// <summary>The connection broke or the upstream sent an empty or invalid response.</summary>
    Reset,

    /// <summary>The upstream was too slow (per-try or total timeout, or YARP's activity timeout).</summary>
    Timeout,

    /// <summary>The client went away or sent a broken body; nobody's fault upstream.</summary>
    ClientError,

    /// <summary>Any other proxy error (request creation, upgrades); neither retried nor held against the destination.</summary>
    OtherError,

    /// <summary>Every destination's breaker was open; no upstream was contacted.</summary>
    CircuitOpen,
}

/// <summary>The result of one attempt as the Polly strategies see it.</summary>
/// <param name="Kind">How the attempt ended.</param>
/// <param name="StatusCode">The response status (the upstream's, or the one YARP set for an error).</param>
/// <param name="RetryCommitted">True when a retry of this attempt was decided (and taken from the budget).</param>
/// <param name="Reason">Why it is retried (the metric label and span event); <see cref="RetryConditions.None"/> otherwise.</param>
/// <param name="RetryAfter">A 429's <c>Retry-After</c>, which replaces Polly's back-off for this retry.</param>
internal readonly record struct AttemptResult(
    AttemptKind Kind,
    int StatusCode,
    bool RetryCommitted,
    RetryConditions Reason = RetryConditions.None,
    TimeSpan? RetryAfter = null)
{
    public static readonly AttemptResult CircuitOpen = new(AttemptKind.CircuitOpen, 503, false);

    /// <summary>Whether this attempt counts against the destination's circuit breaker.</summary>
    public bool IsDestinationFailure => Kind switch
    {
        AttemptKind.ConnectFailure or AttemptKind.Reset or AttemptKind.Timeout or AttemptKind.Unavailable => true,
        AttemptKind.Response => StatusCode >= 500,
        _ => false,
    };

    /// <summary>The bounded <c>outcome</c> label of <c>ambassador.upstream.attempts</c>.</summary>
    public string OutcomeLabel => Kind switch
    {
        AttemptKind.Response when StatusCode >= 500 => "server_error",
        AttemptKind.Response when StatusCode == 429 => "throttled",
        AttemptKind.Response => "success",
        AttemptKind.Unavailable => "server_error",
        AttemptKind.ConnectFailure => "connect_failure",
        AttemptKind.Reset => "reset",
        AttemptKind.Timeout => "timeout",
        AttemptKind.ClientError => "client_error",
        _ => "error",
    };
}
