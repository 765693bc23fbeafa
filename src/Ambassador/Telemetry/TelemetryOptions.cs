using Ambassador.Configuration;

namespace Ambassador.Telemetry;

/// <summary>Defaults and well-known names of Ambassador's telemetry.</summary>
public static class TelemetryConstants
{
    /// <summary>Default <c>service.name</c> when neither <c>Ambassador:Telemetry:ServiceName</c> nor <c>OTEL_SERVICE_NAME</c> is set.</summary>
    public const string DefaultServiceName = "ambassador";

    /// <summary>The admin listener's Prometheus scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Standard OpenTelemetry variable: the OTLP endpoint; OTLP trace export is on exactly when it (or the traces-specific one) is set.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Standard OpenTelemetry variable: the OTLP endpoint for traces only.</summary>
    public const string OtlpTracesEndpointKey = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

    /// <summary>Standard OpenTelemetry variable: <c>grpc</c> (default) or <c>http/protobuf</c>.</summary>
    public const string OtlpProtocolKey = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>Standard OpenTelemetry variable: <c>grpc</c> or <c>http/protobuf</c> for traces only.</summary>
    public const string OtlpTracesProtocolKey = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";

    /// <summary>Standard OpenTelemetry variable: the service name, used when <c>Ambassador:Telemetry:ServiceName</c> is not set.</summary>
    public const string ServiceNameEnvironmentKey = "OTEL_SERVICE_NAME";

    /// <summary>Span attribute naming the destination an attempt went to (YARP's own attribute name).</summary>
    public const string DestinationIdAttribute = "proxy.destination_id";

    /// <summary>Span attribute naming the YARP route (YARP's own attribute name).</summary>
    public const string RouteIdAttribute = "proxy.route_id";

    /// <summary>Span attribute naming the YARP cluster (YARP's own attribute name).</summary>
    public const string ClusterIdAttribute = "proxy.cluster_id";

    /// <summary>Span attribute: how many upstream attempts a request took (server span) or which attempt this is, 1-based (client span).</summary>
    public const string AttemptAttribute = "ambassador.attempt";

    /// <summary>Semantic-convention attribute on a client span: how many times this request was sent before (absent on the first attempt).</summary>
    public const string ResendCountAttribute = "http.request.resend_count";

    /// <summary>Span attribute carrying the <c>x-ambassador-error</c> reason of an error Ambassador answered itself.</summary>
    public const string ErrorReasonAttribute = "ambassador.error";
}

/// <summary>The options of tracing and the access log (<c>Ambassador:Telemetry</c>, <c>Ambassador:AccessLog</c>), declared once.</summary>
internal static class TelemetryOptionTable
{
    public static readonly StringOption ServiceName = OptionSpec.String(
        nameof(TelemetryOptions.ServiceName), null,
        "The service.name of traces and metrics; default: OTEL_SERVICE_NAME when set, otherwise 'ambassador'. Read at start.",
        allowed: $"remove the key to use {TelemetryConstants.ServiceNameEnvironmentKey} or '{TelemetryConstants.DefaultServiceName}'",
        check: raw => string.IsNullOrWhiteSpace(raw) ? "must not be empty" : null,
        emptyIsUnset: false);

    public static readonly NumberOption SamplingRatio = OptionSpec.Number(
        nameof(TelemetryOptions.SamplingRatio), 1.0, min: 0, max: 1,
        doc: "Share of new (root) traces recorded; requests with a traceparent follow the caller's sampled flag. Hot-reloadable.");

    public static readonly BooleanOption Metrics = OptionSpec.Bool(
        nameof(TelemetryOptions.Metrics), true,
        "Collect metrics (the Ambassador meter plus ASP.NET Core, Kestrel, HttpClient and runtime) and serve /metrics on the admin listener; false: nothing is recorded and /metrics answers 404. Read at start.");

    public static readonly BooleanOption DetailedMetrics = OptionSpec.Bool(
        nameof(TelemetryOptions.DetailedMetrics), false,
        "Also record three standard per-request series that repeat what others show in a sidecar: "
        + "http.client.active_requests (equals http.server.active_requests for proxied requests), http.client.open_connections "
        + "(four updates per request) and aspnetcore.routing.match_attempts (ambassador_requests_total counts by route). Read at start.");

    public static readonly OptionSection Telemetry = new(
        TelemetryOptions.SectionName, "Tracing, metrics and service identity; OTLP export follows the standard OTEL_* variables.",
        ServiceName, SamplingRatio, Metrics, DetailedMetrics);

    public static readonly BooleanOption AccessLogEnabled = OptionSpec.Bool(
        nameof(AccessLogOptions.Enabled), false,
        "Write one JSON line per proxied request to stdout. Hot-reloadable.");

    public static readonly BooleanOption AccessLogIncludeQuery = OptionSpec.Bool(
        nameof(AccessLogOptions.IncludeQuery), false,
        "Include the query string in the logged path (query strings often carry secrets). Hot-reloadable.");

    public static readonly OptionSection AccessLog = new(
        AccessLogOptions.SectionName, "The structured access log.", AccessLogEnabled, AccessLogIncludeQuery);
}

/// <summary>Tracing and service identity, section <c>Ambassador:Telemetry</c>; declared in <see cref="TelemetryOptionTable"/>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Telemetry";

    /// <summary>See <see cref="TelemetryOptionTable.ServiceName"/>.</summary>
    public string? ServiceName { get; set; }

    /// <summary>See <see cref="TelemetryOptionTable.SamplingRatio"/>.</summary>
    public double SamplingRatio { get; set; } = TelemetryOptionTable.SamplingRatio.Default;

    /// <summary>See <see cref="TelemetryOptionTable.Metrics"/>.</summary>
    public bool Metrics { get; set; } = TelemetryOptionTable.Metrics.Default;

    /// <summary>See <see cref="TelemetryOptionTable.DetailedMetrics"/>.</summary>
    public bool DetailedMetrics { get; set; } = TelemetryOptionTable.DetailedMetrics.Default;
}

/// <summary>The structured access log, section <c>Ambassador:AccessLog</c>; declared in <see cref="TelemetryOptionTable"/>.</summary>
public sealed class AccessLogOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:AccessLog";

    /// <summary>See <see cref="TelemetryOptionTable.AccessLogEnabled"/>.</summary>
    public bool Enabled { get; set; } = TelemetryOptionTable.AccessLogEnabled.Default;

    /// <summary>See <see cref="TelemetryOptionTable.AccessLogIncludeQuery"/>.</summary>
    public bool IncludeQuery { get; set; } = TelemetryOptionTable.AccessLogIncludeQuery.Default;
}
