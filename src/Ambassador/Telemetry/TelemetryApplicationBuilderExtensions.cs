using Ambassador.Hosting;
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
        var listeners = services.GetRequiredService<ListenerRegistry>();
        var metrics = services.GetRequiredService<ProxyMetrics>();
        var accessLog = services.GetRequiredService<AccessLogWriter>();
        var time = services.GetRequiredService<TimeProvider>();
        return app.Use(next => new RequestTelemetryMiddleware(next, listeners, metrics, accessLog, time).InvokeAsync);
    }

    /// <summary>
    /// Maps the Prometheus scrape endpoint (<c>/metrics</c>) on <paramref name="admin"/>, the admin group returned by
    /// <c>MapAmbassadorAdmin</c>, so it inherits the admin-listener-only restriction.
    /// </summary>
    public static IEndpointConventionBuilder MapAmbassadorMetrics(this IEndpointRouteBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        return admin.MapPrometheusScrapingEndpoint(TelemetryConstants.MetricsPath);
    }
}
