using Ambassador.Configuration;
using Ambassador.Policies.Retry;

namespace Ambassador.Policies;

/// <summary>
/// Every option of a resilience policy (<c>Ambassador:Policies:&lt;name&gt;</c>), declared once. The options classes
/// (<see cref="PolicyOptions"/> and its parts) take their defaults from here; validation, the configuration reference
/// and the JSON schema read the same declarations.
/// </summary>
internal static class PolicyOptionTable
{
    public static readonly IntegerOption<int> MaxRetries = OptionSpec.Int(
        "Retry:MaxRetries", 2, min: 0, max: 10,
        doc: "Retries after the first attempt, each to another destination when one exists; 0 turns retries off.");

    public static readonly DurationOption BaseDelay = OptionSpec.Duration(
        "Retry:BaseDelay", TimeSpan.FromMilliseconds(25), min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromMinutes(1),
        doc: "Median delay before the first retry (Envoy's base interval); later ones grow exponentially with jitter.");

    public static readonly DurationOption MaxDelay = OptionSpec.Duration(
        "Retry:MaxDelay", TimeSpan.FromSeconds(1), min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromMinutes(1),
        doc: "Cap on the delay between attempts and the longest Retry-After honored on a 429; at least BaseDelay.");

    public static readonly StringOption RetryOn = OptionSpec.String(
        "Retry:RetryOn", "connect-failure,reset,per-try-timeout,502,503,504,429",
        doc: "Comma-separated conditions that trigger a retry (gateway-error stands for 502,503,504).",
        allowed: $"use a comma-separated list of {RetryConditionsParser.Accepted} (set Retry:MaxRetries to 0 to turn retries off)",
        check: CheckRetryOn,
        emptyIsUnset: false);

    public static readonly BooleanOption RetryNonIdempotent = OptionSpec.Bool(
        "Retry:RetryNonIdempotent", false,
        doc: "Also retry methods that are not idempotent (POST, PATCH).");

    public static readonly IntegerOption<int> MaxBufferedBodyBytes = OptionSpec.Int(
        "Retry:MaxBufferedBodyBytes", 64 * 1024, min: 0, max: 16 * 1024 * 1024,
        doc: "Largest request body (by Content-Length) buffered for replay; larger or chunked bodies are sent once and not retried.");

    public static readonly NumberOption BudgetRatio = OptionSpec.Number(
        "Retry:Budget:Ratio", 0.2, min: 0, max: 10,
        doc: "Share of the live request rate that retries may add (Linkerd's retry budget).");

    public static readonly IntegerOption<int> BudgetMinPerSecond = OptionSpec.Int(
        "Retry:Budget:MinPerSecond", 10, min: 0, max: 10_000,
        doc: "Retries per second always allowed, even at a low request rate.");

    public static readonly NumberOption FailureRatio = OptionSpec.Number(
        "CircuitBreaker:FailureRatio", 0.5, min: 0, max: 1, minExclusive: true,
        doc: "Share of failed attempts within SamplingDuration that opens a destination's breaker.");

    public static readonly IntegerOption<int> MinimumThroughput = OptionSpec.Int(
        "CircuitBreaker:MinimumThroughput", 5, min: 2, max: 10_000,
        doc: "Attempts within SamplingDuration before the ratio counts (Polly's 100 is too many for one app's traffic).");

    public static readonly DurationOption SamplingDuration = OptionSpec.Duration(
        "CircuitBreaker:SamplingDuration", TimeSpan.FromSeconds(10), min: TimeSpan.FromMilliseconds(500), max: TimeSpan.FromDays(1),
        doc: "Window over which a destination's failures are counted.");

    public static readonly DurationOption BreakDuration = OptionSpec.Duration(
        "CircuitBreaker:BreakDuration", TimeSpan.FromSeconds(5), min: TimeSpan.FromMilliseconds(500), max: TimeSpan.FromDays(1),
        doc: "Time an open breaker keeps its destination out of load balancing before one probe decides.");

    public static readonly IntegerOption<int> ConsecutiveFailures = OptionSpec.Int(
        "CircuitBreaker:ConsecutiveFailures", 5, min: 0, max: 10_000,
        doc: "Failed attempts in a row that open a destination's breaker whatever the ratio (Envoy's consecutive_5xx); 0 turns it off, 1 is not allowed.");

    public static readonly DurationOption MaxBreakDuration = OptionSpec.Duration(
        "CircuitBreaker:MaxBreakDuration", TimeSpan.FromMinutes(5), min: TimeSpan.FromMilliseconds(500), max: TimeSpan.FromDays(1),
        doc: "Longest ejection: a re-ejected destination stays out BreakDuration x consecutive ejections, at most this (Envoy's max_ejection_time).");

    public static readonly IntegerOption<int> MaxEjectionPercent = OptionSpec.Int(
        "CircuitBreaker:MaxEjectionPercent", 50, min: 0, max: 100,
        doc: "Largest share (percent) of a cluster's destinations ejected at once; a cluster may always eject one (Envoy's max_ejection_percent).");

    public static readonly BooleanOption LimitsEnabled = OptionSpec.Bool(
        "Limits:Enabled", true,
        doc: "Whether the clusters of this policy have concurrency limits at all; false drops the limits step and the retry limit (the retry budget still applies).");

    public static readonly IntegerOption<int> MaxConcurrentRequests = OptionSpec.Int(
        "Limits:MaxConcurrentRequests", 1024, min: 1, max: 1_000_000,
        doc: "Requests of one cluster in flight at once (Envoy's max_requests); more wait in the queue.");

    public static readonly IntegerOption<int> MaxQueuedRequests = OptionSpec.Int(
        "Limits:MaxQueuedRequests", 1024, min: 0, max: 1_000_000,
        doc: "Requests of one cluster waiting for a slot (Envoy's max_pending_requests); beyond it: 503 overloaded at once.");

    public static readonly DurationOption QueueTimeout = OptionSpec.Duration(
        "Limits:QueueTimeout", TimeSpan.FromSeconds(1), min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromMinutes(10),
        doc: "Longest wait in the queue before 503 overloaded.");

    public static readonly IntegerOption<int> MaxConcurrentRetries = OptionSpec.Int(
        "Limits:MaxConcurrentRetries", 1024, min: 0, max: 1_000_000,
        doc: "Retries of one cluster in flight at once (Envoy's max_retries); a retry beyond it is not made. The retry budget is what bounds a retry storm; this caps its concurrency.");

    public static readonly DurationOption DecayWindow = OptionSpec.Duration(
        "LoadBalancing:DecayWindow", TimeSpan.FromSeconds(10), min: TimeSpan.FromMilliseconds(100), max: TimeSpan.FromMinutes(10),
        doc: "How fast PeakEwma forgets a latency peak (Linkerd's default decay is 10 s).");

    public static readonly DurationOption PerTry = OptionSpec.Duration(
        "Timeout:PerTry", TimeSpan.FromSeconds(10), min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromDays(1),
        doc: "Time allowed for one attempt up to its response headers (Envoy's per_try_timeout); at most Total.");

    public static readonly DurationOption Total = OptionSpec.Duration(
        "Timeout:Total", TimeSpan.FromSeconds(30), min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromDays(1),
        doc: "Time allowed for the whole request, every attempt and delay included.");

    public static readonly OptionSection Section = new(
        PolicyConstants.SectionPath + ":*",
        "A named resilience policy; clusters select one with Metadata:Policy, and 'default' applies to clusters that name none.",
        MaxRetries, BaseDelay, MaxDelay, RetryOn, RetryNonIdempotent, MaxBufferedBodyBytes, BudgetRatio, BudgetMinPerSecond,
        FailureRatio, MinimumThroughput, SamplingDuration, BreakDuration, ConsecutiveFailures, MaxBreakDuration, MaxEjectionPercent,
        LimitsEnabled, MaxConcurrentRequests, MaxQueuedRequests, QueueTimeout, MaxConcurrentRetries, DecayWindow,
        PerTry, Total);

    private static string? CheckRetryOn(string raw)
    {
        var conditions = RetryConditionsParser.Parse(raw, out var unknown);
        if (unknown is not null)
        {
            return $"unknown condition(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}";
        }

        return conditions == RetryConditions.None ? $"'{raw}' names no condition" : null;
    }
}
