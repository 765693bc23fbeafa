using System.Diagnostics.Metrics;

namespace Ambassador.Policies.Limits;

/// <summary>The concurrency-limit instruments on the <c>Ambassador</c> meter.</summary>
internal sealed class LimitsTelemetry
{
    private readonly Counter<long> _rejections;

    public LimitsTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        _rejections = meter.CreateCounter<long>(
            "ambassador.limits.rejections",
            "{request}",
            "Requests answered 503 overloaded and retries not made because a cluster's concurrency limit was reached, by reason.");
    }

    public void Rejected(string clusterId, LimitRejection reason)
        => _rejections.Add(1, new KeyValuePair<string, object?>("cluster", clusterId), new KeyValuePair<string, object?>("reason", Label(reason)));

    /// <summary>The bounded <c>reason</c> label.</summary>
    public static string Label(LimitRejection reason) => reason switch
    {
        LimitRejection.QueueFull => "queue_full",
        LimitRejection.QueueTimeout => "queue_timeout",
        LimitRejection.RetryLimit => "retry_limit",
        _ => "none",
    };
}
