using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ambassador.Policies.CircuitBreaker;

namespace Ambassador.Policies.Telemetry;

/// <summary>
/// The resilience instruments on the <c>Ambassador</c> meter and the span events raised on the request's activity.
/// </summary>
internal sealed class ResilienceTelemetry
{
    private readonly Counter<long> _retries;
    private readonly Counter<long> _budgetRefusals;
    private readonly Counter<long> _attempts;

    public ResilienceTelemetry(IMeterFactory meterFactory, DestinationBreakerRegistry breakers)
    {
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

    public void Retry(string clusterId, string reason, int attempt, TimeSpan delay, Activity? activity)
    {
        _retries.Add(1, new KeyValuePair<string, object?>("cluster", clusterId), new KeyValuePair<string, object?>("reason", reason));
        activity?.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
        {
            ["ambassador.retry.attempt"] = attempt,
            ["ambassador.retry.reason"] = reason,
            ["ambassador.retry.delay_ms"] = delay.TotalMilliseconds,
        }));
    }

    public void BudgetRefused(string clusterId, string reason, Activity? activity)
    {
        _budgetRefusals.Add(1, new KeyValuePair<string, object?>("cluster", clusterId));
        activity?.AddEvent(new ActivityEvent("retry_budget.refused", tags: new ActivityTagsCollection
        {
            ["ambassador.cluster"] = clusterId,
            ["ambassador.retry.reason"] = reason,
        }));
    }

    public void Attempt(string clusterId, string outcome)
        => _attempts.Add(1, new KeyValuePair<string, object?>("cluster", clusterId), new KeyValuePair<string, object?>("outcome", outcome));
}
