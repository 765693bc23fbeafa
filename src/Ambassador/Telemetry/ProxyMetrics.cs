using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ambassador.Telemetry;

/// <summary>
/// The request-level instruments of the <c>Ambassador</c> meter: <c>ambassador.requests</c> (route, cluster,
/// status_class) and <c>ambassador.request.duration</c> (route, cluster). Labels are configured ids and a status class,
/// never paths, so their cardinality is bounded by the configuration.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>Instrument name of the request counter (Prometheus: <c>ambassador_requests_total</c>).</summary>
    public const string RequestsName = "ambassador.requests";

    /// <summary>Instrument name of the duration histogram (Prometheus: <c>ambassador_request_duration_seconds</c>).</summary>
    public const string DurationName = "ambassador.request.duration";

    // Sidecar latencies start well below a millisecond; the SDK's default buckets are millisecond-shaped.
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public ProxyMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        _requests = meter.CreateCounter<long>(RequestsName, unit: "{request}",
            description: "Requests proxied, by route, cluster and response status class.");
        _duration = meter.CreateHistogram(DurationName, unit: "s",
            description: "Time from receiving a proxied request to the end of its response, by route and cluster.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    /// <summary>True when anything listens (a scrape endpoint or an exporter); callers skip the work otherwise.</summary>
    public bool Enabled => _requests.Enabled || _duration.Enabled;

    /// <summary>
    /// Records one finished request. Allocation-free: tags go on the stack in a <see cref="TagList"/>. A gRPC call's
    /// requests also carry <c>grpc_status</c> (its code, a bounded set); other requests do not have that label.
    /// </summary>
    public void Record(string route, string cluster, int statusCode, TimeSpan elapsed, string? grpcStatus = null)
    {
        var tags = new TagList
        {
            { "route", route },
            { "cluster", cluster },
        };
        _duration.Record(elapsed.TotalSeconds, tags);
        tags.Add("status_class", StatusClass(statusCode));
        if (grpcStatus is not null)
        {
            tags.Add(GrpcTelemetry.StatusLabel, grpcStatus);
        }

        _requests.Add(1, tags);
    }

    /// <summary><c>2xx</c>, <c>5xx</c>…; <c>other</c> for anything outside 100–599.</summary>
    public static string StatusClass(int statusCode)
    {
        var index = (statusCode / 100) - 1;
        return (uint)index < (uint)StatusClasses.Length ? StatusClasses[index] : "other";
    }
}
