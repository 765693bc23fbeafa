using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Logging;
using Microsoft.Extensions.Logging;

namespace Ambassador.Policies.Telemetry;

/// <summary>
/// The resilience instruments on the <c>Ambassador</c> meter, the span events raised on the request's activity and the
/// matching debug logs.
/// </summary>
internal sealed partial class ResilienceTelemetry
{
    private readonly Counter<long> _retries;
    private readonly Counter<long> _budgetRefusals;
    private readonly Counter<long> _attempts;
    private readonly ILogger _logger;
    private readonly LogThrottle<string> _timeouts;

    public ResilienceTelemetry(IMeterFactory meterFactory, DestinationBreakerRegistry breakers, TimeProvider time, ILogger<ResilienceTelemetry> logger)
    {
        _logger = logger;
        _timeouts = new LogThrottle<string>(time, LogThrottle.RepeatInterval);
        var meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        _retries = meter.CreateCounter<long>("ambassador.retries", "{retry}", "Retries made to another upstream attempt, by reason.");
        _budgetRefusals = meter.CreateCounter<long>("ambassador.retry_budget.refusals", "{retry}", "Retries not made because the cluster's retry budget was spent.");
        _attempts = meter.CreateCounter<long>("ambassador.upstream.attempts", "{attempt}", "Upstream attempts, by outcome.");
        meter.CreateObservableGauge(
            "ambassador.circuit_breaker.state",
            breakers.ObserveStates,
            unit: "{state}",
            description: "Circuit breaker state per destination: 0 closed, 1 half-open, 2 open.");
    }

    /// <summary>A retry is about to wait <paramref name="delay"/> before attempt <paramref name="attempt"/> + 1.</summary>
    public void Retry(string clusterId, string reason, int attempt, TimeSpan delay, Activity? activity)
    {
        _retries.Add(1, new KeyValuePair<string, object?>("cluster", clusterId), new KeyValuePair<string, object?>("reason", reason));
        activity?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
        {
            ["ambassador.retry.attempt"] = attempt,
            ["ambassador.retry.reason"] = reason,
            ["ambassador.retry.delay_ms"] = delay.TotalMilliseconds,
        }));
        LogRetrying(_logger, clusterId, reason, attempt + 1, delay.TotalMilliseconds);
    }

    public void BudgetRefused(string clusterId, string reason, Activity? activity)
    {
        _budgetRefusals.Add(1, new KeyValuePair<string, object?>("cluster", clusterId));
        activity?.AddEvent(new ActivityEvent("retry_budget.refused", tags: new ActivityTagsCollection
        {
            ["ambassador.cluster"] = clusterId,
            ["ambassador.retry.reason"] = reason,
        }));
        LogBudgetRefused(_logger, clusterId, reason);
    }

    public void Attempt(string clusterId, string outcome)
        => _attempts.Add(1, new KeyValuePair<string, object?>("cluster", clusterId), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>
    /// A request failed to the client with a timeout. One line per cluster per interval, with the count of the others:
    /// a slow upstream times out every request sent to it, and a line per request would flood the logs the operator
    /// pays for (each request is still counted in <c>ambassador.requests</c> and shown on its span).
    /// </summary>
    public void TimedOut(string clusterId, int attempts)
    {
        if (_timeouts.ShouldLog(clusterId, out var suppressed))
        {
            LogTimedOut(_logger, clusterId, attempts, suppressed);
        }
    }
}
