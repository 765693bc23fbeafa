using System.Diagnostics.CodeAnalysis;
using System.ComponentModel.DataAnnotations;
using Ambassador.Policies.Budget;
using Microsoft.Extensions.Options;

namespace Ambassador.Policies.Retry;

/// <summary>Retry settings of a policy (<c>Ambassador:Policies:&lt;name&gt;:Retry</c>).</summary>
public sealed class RetryPolicyOptions
{
    /// <summary>Retries after the first attempt; 0 disables retries. Default 2, between 0 and 10.</summary>
    [Range(RetryConstants.MinMaxRetries, RetryConstants.MaxMaxRetries, ErrorMessage = "must be between {1} and {2}")]
    public int MaxRetries { get; set; } = RetryConstants.DefaultMaxRetries;

    /// <summary>Median delay before the first retry; later ones grow exponentially with jitter. Default 00:00:00.025.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), RetryConstants.MinDelayText, RetryConstants.MaxDelayText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan BaseDelay { get; set; } = RetryConstants.DefaultBaseDelay;

    /// <summary>Cap on the delay between attempts and the longest <c>Retry-After</c> honored on a 429. Default 00:00:01.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = TrimmingJustification.TimeSpanRange)]
    [Range(typeof(TimeSpan), RetryConstants.MinDelayText, RetryConstants.MaxDelayText, ErrorMessage = "must be between {1} and {2}")]
    public TimeSpan MaxDelay { get; set; } = RetryConstants.DefaultMaxDelay;

    /// <summary>
    /// Comma-separated conditions that trigger a retry: <c>connect-failure</c>, <c>reset</c>, <c>per-try-timeout</c>,
    /// <c>502</c>, <c>503</c>, <c>504</c>, <c>429</c> (or <c>gateway-error</c> for 502,503,504), and for gRPC calls the
    /// status of a trailers-only answer: <c>grpc-unavailable</c>, <c>grpc-resource-exhausted</c>, <c>grpc-cancelled</c>,
    /// <c>grpc-deadline-exceeded</c>, <c>grpc-internal</c>. Naming a gRPC condition lets gRPC calls (POSTs) be retried
    /// without <see cref="RetryNonIdempotent"/>. Default: every HTTP condition, no gRPC one.
    /// </summary>
    [Required(ErrorMessage = "must not be empty")]
    public string RetryOn { get; set; } = RetryConstants.DefaultRetryOn;

    /// <summary>Also retry methods that are not idempotent (POST, PATCH, ...). Default false.</summary>
    public bool RetryNonIdempotent { get; set; }

    /// <summary>
    /// Largest request body (by its Content-Length) buffered so it can be replayed; larger or chunked bodies are
    /// sent once and never retried. A gRPC call's body (of unknown length) is kept as it streams, up to this size; one
    /// that outgrows it is not retried. Default 65536 (64 KiB), between 0 and 16 MiB.
    /// </summary>
    [Range(0, RetryConstants.MaxMaxBufferedBodyBytes, ErrorMessage = "must be between {1} and {2}")]
    public int MaxBufferedBodyBytes { get; set; } = RetryConstants.DefaultMaxBufferedBodyBytes;

    /// <summary>The retry budget of every cluster using this policy.</summary>
    [ValidateObjectMembers]
    public RetryBudgetOptions Budget { get; set; } = new();
}
