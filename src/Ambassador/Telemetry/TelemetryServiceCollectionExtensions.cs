using System.Reflection;
using Ambassador;
using Ambassador.Hosting;
using Ambassador.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// All of Ambassador's OpenTelemetry wiring, in one place: traces (server span per request, one client span per upstream
/// attempt, OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), metrics (the <c>Ambassador</c> meter plus
/// ASP.NET Core, Kestrel, HttpClient and runtime meters, scraped at the admin listener's <c>/metrics</c>) and the access log.
/// </summary>
public static class TelemetryServiceCollectionExtensions
{
    private const string TracerConfigurationTypeName = "OpenTelemetry.Trace.IConfigureTracerProviderBuilder";

    /// <summary>ASP.NET Core hosting's activity source (one server activity per request).</summary>
    internal const string AspNetCoreSourceName = "Microsoft.AspNetCore";

    /// <summary>
    /// Registers tracing, metrics and the access log. Hot-reloadable options (<c>SamplingRatio</c>, <c>AccessLog:*</c>)
    /// are bound from <paramref name="config"/>, the validated configuration. What OpenTelemetry fixes when its
    /// providers are built (whether OTLP export is on, <c>service.name</c>) is read from the host's configuration at
    /// start, where the standard <c>OTEL_*</c> variables are too (so tests can inject them); a start with an invalid
    /// value never gets past validation. Calling it twice is harmless.
    /// </summary>
    public static IHostApplicationBuilder AddAmbassadorTelemetry(this IHostApplicationBuilder builder, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        var services = builder.Services;
        var startup = builder.Configuration;
        if (services.Any(d => d.ServiceType == typeof(ProxyMetrics)))
        {
            return builder;
        }

        services.AddAmbassadorOptions(TelemetryOptionTable.Telemetry, TelemetryOptionTable.AccessLog);
        services.AddAmbassadorConfigValidation<TelemetryConfigValidator>();
        services.Configure<TelemetryOptions>(config.GetSection(TelemetryOptions.SectionName));
        services.Configure<AccessLogOptions>(config.GetSection(AccessLogOptions.SectionName));

        services.TryAddSingleton<ProxyMetrics>();
        services.TryAddSingleton(_ => new AccessLogSink(Console.OpenStandardOutput()));
        services.TryAddSingleton<AccessLogWriter>();
        services.TryAddSingleton<ConfigurableRatioSampler>();

        var metricsOn = !bool.TryParse(startup[$"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.Metrics)}"], out var metricsValue) || metricsValue;
        services.TryAddSingleton(new TelemetrySwitches(metricsOn));
        var detailedMetrics = bool.TryParse(startup[$"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.DetailedMetrics)}"], out var detailedValue)
            && detailedValue;

        var exportOtlp = !string.IsNullOrWhiteSpace(startup[TelemetryConstants.OtlpEndpointKey])
            || !string.IsNullOrWhiteSpace(startup[TelemetryConstants.OtlpTracesEndpointKey]);

        // Spans are made only when they can go somewhere: OTLP is configured, or the host registered its own tracer
        // configuration (an exporter) before this call. Otherwise no activity source or diagnostic listener is listened
        // to, so a request creates no Activity at all; a caller's traceparent still reaches the upstream unchanged (YARP
        // copies it when no activity replaces it).
        // (ConfigureOpenTelemetryTracerProvider registers an internal OpenTelemetry type, known here by its name only.)
        var tracingOn = exportOtlp || services.Any(d => d.ServiceType.FullName == TracerConfigurationTypeName);
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                ServiceName(startup),
                serviceVersion: typeof(TelemetryServiceCollectionExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion));
        if (tracingOn)
        {
            otel.WithTracing(tracing =>
            {
                // Spans come from .NET's own activity sources, not from instrumentation packages: ASP.NET Core hosting's
                // server activity (ASP.NET Core 10 leaves its semantic-convention tags off by default, so RequestTelemetryMiddleware writes
                // the HTTP server attributes and the "GET /route" name, on recorded spans only) and
                // HttpClient's client activity (method, url.full, server.address, status code, error.type and error
                // status since .NET 9). Nothing subscribes to their DiagnosticListeners, so neither writes diagnostic
                // events per request. What Ambassador adds: the sampler keeps HttpClient spans to a proxied request's
                // attempts, AttemptSpanEnricher tags each attempt, RequestTelemetryMiddleware tags the server span and
                // unrecords the admin listener's.
                tracing.SetSampler(sp => new ProxyTraceSampler(sp.GetRequiredService<ConfigurableRatioSampler>()));
                tracing.AddSource(AmbassadorTelemetry.ActivitySourceName);
                tracing.AddSource(AspNetCoreSourceName);

                // One client span per upstream attempt comes from System.Net.Http (YARP's forwarder sends through it once
                // per attempt). YARP's own "Yarp.ReverseProxy" source is deliberately not added: its span is per request
                // and would duplicate the server span.
                tracing.AddSource(AttemptSpanEnricher.HttpClientSourceName);
                tracing.AddProcessor(new AttemptSpanEnricher());

                if (exportOtlp)
                {
                    // Endpoint, protocol (grpc or http/protobuf), headers and timeout come from the standard OTEL_* keys.
                    tracing.AddOtlpExporter();
                }
            });
        }

        if (metricsOn)
        {
            services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddMeter(AmbassadorTelemetry.MeterName);

                // .NET's own meters give the standard series (http.server.request.duration, kestrel.*, http.client.*);
                // the instrumentation packages would only subscribe to the same meters.
                metrics.AddMeter(
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "Microsoft.AspNetCore.Routing",
                    "Microsoft.AspNetCore.Diagnostics",
                    "System.Net.Http",
                    "System.Net.NameResolution");
                metrics.AddRuntimeInstrumentation();
                metrics.AddView(detailedMetrics ? PrometheusNaming.View : PrometheusNaming.ViewWithoutRepeats);
                metrics.AddPrometheusExporter();
            });
        }

        return builder;
    }

    /// <summary><c>Ambassador:Telemetry:ServiceName</c>, else <c>OTEL_SERVICE_NAME</c>, else <c>ambassador</c>.</summary>
    internal static string ServiceName(IConfiguration config)
    {
        var configured = config[$"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.ServiceName)}"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }

        var standard = config[TelemetryConstants.ServiceNameEnvironmentKey];
        return string.IsNullOrWhiteSpace(standard) ? TelemetryConstants.DefaultServiceName : standard.Trim();
    }
}

/// <summary>What the telemetry wiring switched on at start.</summary>
/// <param name="Metrics">Whether metrics are collected and <c>/metrics</c> is served.</param>
internal sealed record TelemetrySwitches(bool Metrics);
