using Ambassador.Hosting;
using Ambassador.Policies;
using Ambassador.Telemetry;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The request-pipeline side of Ambassador's telemetry.</summary>
public static class TelemetryApplicationBuilderExtensions
{
    /// <summary>
    /// Adds the request telemetry middleware (request metrics, span tags, access log) for the proxy listeners.
    /// Put it first, before routing, so it also sees the answers Ambassador gives before a route matches.
    /// </summary>
    public static IApplicationBuilder UseAmbassadorTelemetry(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ApplicationServices;

        // Resolved when the pipeline is built (at server start), i.e. after the configuration passed validation:
        // options bound earlier could meet a value validation is about to reject.
        return app.Use(next => new RequestTelemetryMiddleware(
            next,
            services.GetRequiredService<ListenerRegistry>(),
            services.GetRequiredService<ProxyMetrics>(),
            services.GetRequiredService<AccessLogWriter>(),
            services.GetRequiredService<TimeProvider>()).InvokeAsync);
    }

    /// <summary>
    /// Adds the per-attempt recording step to the proxy pipeline (attempt numbers for spans and the access log, and the
    /// per-destination counters of <c>/admin/clusters</c>). Put it last, right before the forwarder.
    /// </summary>
    public static IReverseProxyApplicationBuilder UseAttemptRecording(this IReverseProxyApplicationBuilder proxy)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        var stats = proxy.ApplicationServices.GetRequiredService<DestinationStatsRegistry>();
        var latency = proxy.ApplicationServices.GetRequiredService<Ambassador.Policies.LoadBalancing.AttemptLatencyRecorder>();
        proxy.Use(next => new AttemptRecordingMiddleware(next, stats, latency).InvokeAsync);
        return proxy;
    }

    /// <summary>
    /// Maps the Prometheus scrape endpoint (<c>/metrics</c>) on <paramref name="admin"/>, the admin group returned by
    /// <c>MapAmbassadorAdmin</c>, so it inherits the admin-listener-only restriction.
    /// </summary>
    public static IEndpointConventionBuilder MapAmbassadorMetrics(this IEndpointRouteBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        return admin.ServiceProvider.GetService<TelemetrySwitches>()?.Metrics == false
            ? NoEndpoint.Instance
            : admin.MapPrometheusScrapingEndpoint(TelemetryConstants.MetricsPath);
    }
}

/// <summary>What <c>MapAmbassadorMetrics</c> returns when metrics are off: conventions apply to nothing.</summary>
internal sealed class NoEndpoint : IEndpointConventionBuilder
{
    public static readonly NoEndpoint Instance = new();

    public void Add(Action<EndpointBuilder> convention)
    {
    }
}
