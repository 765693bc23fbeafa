using System.Reflection;
using Ambassador.Hosting;
using Ambassador.Policies;
using Ambassador.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Instrumentation.AspNetCore;
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
    /// <summary>
    /// Registers tracing, metrics and the access log. <paramref name="config"/> is the validated configuration;
    /// <c>Ambassador:Telemetry</c> and the standard <c>OTEL_*</c> values are read from it (so tests can inject them).
    /// Calling it twice is harmless.
    /// </summary>
    public static IServiceCollection AddAmbassadorTelemetry(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => d.ServiceType == typeof(ProxyMetrics)))
        {
            return services;
        }

        services.AddAmbassadorConfigKeys(
            "Telemetry:ServiceName",
            "Telemetry:SamplingRatio",
            "AccessLog:Enabled",
            "AccessLog:IncludeQuery");
        services.AddAmbassadorConfigValidation<TelemetryConfigValidator>();
        services.Configure<TelemetryOptions>(config.GetSection(TelemetryOptions.SectionName));
        services.Configure<AccessLogOptions>(config.GetSection(AccessLogOptions.SectionName));

        services.TryAddSingleton<ProxyMetrics>();
        services.TryAddSingleton(_ => new AccessLogSink(Console.OpenStandardOutput()));
        services.TryAddSingleton<AccessLogWriter>();
        services.TryAddSingleton<ConfigurableRatioSampler>();

        // Server spans only for the proxy listeners: /healthz, /readyz, /metrics and /admin/* are never traced.
        services.AddOptions<AspNetCoreTraceInstrumentationOptions>()
            .Configure<ListenerRegistry>((options, listeners) => options.Filter = context => !listeners.IsAdmin(context));

        var exportOtlp = !string.IsNullOrWhiteSpace(config[TelemetryConstants.OtlpEndpointKey])
            || !string.IsNullOrWhiteSpace(config[TelemetryConstants.OtlpTracesEndpointKey]);

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                ServiceName(config),
                serviceVersion: typeof(TelemetryServiceCollectionExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion))
            .WithTracing(tracing =>
            {
                tracing.SetSampler(sp => new ParentBasedSampler(sp.GetRequiredService<ConfigurableRatioSampler>()));
                tracing.AddSource(AmbassadorTelemetry.ActivitySourceName);
                tracing.AddAspNetCoreInstrumentation();

                // One client span per upstream attempt comes from System.Net.Http (YARP's forwarder sends through it once
                // per attempt). YARP's own "Yarp.ReverseProxy" source is deliberately not added: its span is per request
                // and would duplicate the server span.
                tracing.AddHttpClientInstrumentation(options =>
                {
                    options.FilterHttpRequestMessage = AttemptSpanEnricher.IsPartOfRequest;
                    options.EnrichWithHttpRequestMessage = AttemptSpanEnricher.Enrich;
                });

                if (exportOtlp)
                {
                    // Endpoint, protocol (grpc or http/protobuf), headers and timeout come from the standard OTEL_* keys.
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AmbassadorTelemetry.MeterName);
                metrics.AddAspNetCoreInstrumentation();
                metrics.AddHttpClientInstrumentation();
                metrics.AddRuntimeInstrumentation();
                metrics.AddView(PrometheusNaming.View);
                metrics.AddPrometheusExporter();
            });

        return services;
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
