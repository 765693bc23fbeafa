namespace Ambassador.Telemetry;

/// <summary>Defaults and well-known names of Ambassador's telemetry.</summary>
public static class TelemetryConstants
{
    /// <summary>Default <c>service.name</c> when neither <c>Ambassador:Telemetry:ServiceName</c> nor <c>OTEL_SERVICE_NAME</c> is set.</summary>
    public const string DefaultServiceName = "ambassador";

    /// <summary>Default share of new traces that are sampled: 1.0 (all). Continued traces follow their parent's decision.</summary>
    public const double DefaultSamplingRatio = 1.0;

    /// <summary>Default of <c>Ambassador:Telemetry:Metrics</c>: true (metrics are collected).</summary>
    public const bool DefaultMetrics = true;

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

/// <summary>Tracing and service identity, section <c>Ambassador:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Telemetry";

    /// <summary>
    /// The <c>service.name</c> resource attribute of traces and metrics. Default: <c>OTEL_SERVICE_NAME</c> when set, otherwise <c>ambassador</c>.
    /// Read at start.
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Share of new (root) traces that are recorded, 0.0 to 1.0. Default 1.0. Requests that arrive with a <c>traceparent</c>
    /// follow the caller's sampled flag (parent-based sampling). Hot-reloadable.
    /// </summary>
    public double SamplingRatio { get; set; } = TelemetryConstants.DefaultSamplingRatio;

    /// <summary>
    /// Collects metrics (the <c>Ambassador</c> meter plus the ASP.NET Core, Kestrel, HttpClient and runtime meters) and
    /// serves them at the admin listener's <c>/metrics</c>. Default true. False: no meter is listened to, so no
    /// instrument records anything, and <c>/metrics</c> answers 404. Read at start.
    /// </summary>
    public bool Metrics { get; set; } = TelemetryConstants.DefaultMetrics;
}

/// <summary>The structured access log, section <c>Ambassador:AccessLog</c>.</summary>
public sealed class AccessLogOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:AccessLog";

    /// <summary>Writes one JSON line per proxied request to stdout. Default false. Hot-reloadable.</summary>
    public bool Enabled { get; set; }

    /// <summary>Includes the query string in the logged path. Default false (query strings often carry secrets). Hot-reloadable.</summary>
    public bool IncludeQuery { get; set; }
}
