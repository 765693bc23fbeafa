using Ambassador.Admin;
using Ambassador.Configuration;
using Ambassador.Policies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Hosting;

/// <summary>
/// The composition root: what is registered and the order of the pipeline, nothing else (commands, arguments and
/// configuration sources live beside it). <c>Program.cs</c> and the functional tests both go through
/// <see cref="Build"/>, so what the tests start is exactly what ships.
/// </summary>
public static class AmbassadorHost
{
    /// <summary>Exit code for invalid configuration (documented contract).</summary>
    public const int InvalidConfigurationExitCode = 2;

    /// <summary>Exit code when a listener's address is taken by another process (the configuration itself is valid).</summary>
    public const int ListenerInUseExitCode = 1;

    /// <summary>
    /// Entry point for <c>Program.cs</c> and the tests: runs the command the arguments name (see <see cref="AmbassadorCommands"/>),
    /// by default the proxy until SIGTERM.
    /// </summary>
    public static Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default) =>
        AmbassadorCommands.RunAsync(args, stdout ?? Console.Out, stderr ?? Console.Error, cancellationToken);

    /// <summary>
    /// Builds the host without starting it. <paramref name="args"/> are ASP.NET command-line arguments plus
    /// <c>--config &lt;path&gt;</c>; <paramref name="configure"/> lets tests add configuration or logging last.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var builder = ConfigurationSources.CreateBuilder(HostArguments.Parse(args), contentRoot);
        configure?.Invoke(builder);
        ConfigurationSources.KeepReloadingThroughLoadErrors(builder.Configuration);

        var gate = new ConfigGate(builder.Configuration);
        var validated = gate.Validated;
        var services = builder.Services;
        services.AddSingleton(gate);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ListenerRegistry>();
        services.AddSingleton<DestinationStatsRegistry>();
        services.AddSingleton<Logging.UpstreamFailureLog>();
        ConnectionLimits.AddServices(services); // Ambassador:Limits: connection limits, applied by KestrelListeners
        services.Configure<ListenerOptions>(validated.GetSection(ListenerOptions.SectionName));
        services.Configure<LifecycleOptions>(validated.GetSection(LifecycleOptions.SectionName));
        services.AddSingleton<ConfigValidator>();
        services.AddAmbassadorOptions(HostOptionTable.Listeners, HostOptionTable.Lifecycle);
        services.AddAmbassadorConfigValidation<CoreConfigValidator>();
        services.AddHostedService<ConfigReloadWatcher>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerMatcherPolicy>());
        services.Configure<RouteOptions>(o => o.SetParameterPolicy<RegexInlineRouteConstraint>("regex"));

        services.AddSingleton<IProxyConfigProvider, ValidatedProxyConfigProvider>();
        services.AddReverseProxy();

        // YARP registers ASP.NET Core authorization (for a route's AuthorizationPolicy), and WebApplication then puts the
        // authorization middleware in front of every request, routing included. The sidecar authorizes nothing (a route
        // accepts only AuthorizationPolicy Anonymous), so without the handler provider that step is not added: one
        // async frame and one policy lookup less per request.
        services.RemoveAll<IAuthorizationHandlerProvider>();

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        services.AddHostedService<KestrelListeners>();
        services.AddHostedService<ShutdownTimeoutService>();
        AddFeatures(builder, validated);

        // Its StoppingAsync runs before any service stops (Kestrel included): the listeners keep accepting during the delay.
        services.AddHostedService<PreStopDelayService>();

        var app = builder.Build();
        app.UseAmbassadorTelemetry(); // telemetry: request metrics, span tags, access log (outermost, proxy listeners only)
        app.Use(RequestGuards.RejectAmbiguousFramingAsync); // request guards
        app.UseRouting();
        app.MapAmbassadorAdmin()
            .MapAmbassadorApp() // the app beside the sidecar: /admin/app
            .MapAmbassadorShutdown() // POST /admin/shutdown, off by default
            .MapAmbassadorMetrics(); // telemetry: Prometheus /metrics, admin listener only
        MapProxy(app);
        app.UseEndpoints(_ => { });
        app.Run(NoRouteFallback.WriteAsync); // no endpoint matched: 404 on admin, no-route problem on proxy listeners
        return app;
    }

    /// <summary>
    /// One line per feature. <paramref name="config"/> is the validated configuration: it changes only when
    /// a reload passed validation, so options bound from it never see a bad value.
    /// </summary>
    public static void AddFeatures(WebApplicationBuilder builder, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        builder.Services.AddAmbassadorConsulDiscovery(config);
        builder.Services.AddAmbassadorTls(config);
        builder.AddAmbassadorTelemetry(config);
        builder.Services.AddAmbassadorResilience(config);
        builder.Services.AddAmbassadorApp(config);
        builder.Services.AddAmbassadorConsulRegistration(config);
        builder.Services.AddAmbassadorShutdown(config);
        builder.AddAmbassadorUnixSocket();
    }

    /// <summary>
    /// The proxy pipeline, in order (request telemetry and request guards run before routing, in <see cref="Build"/>).
    /// </summary>
    public static void MapProxy(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapReverseProxy(proxy =>
        {
            proxy.UseAmbassadorErrors();        // error mapping: every problem answer for a routed request (Hosting/ProxyErrorsMiddleware)
            proxy.UseGrpcBodyLimit();           // gRPC: a route's body limit stays in force (Ambassador.Policies/Grpc/GrpcBodyLimitMiddleware)
            proxy.UseAmbassadorLimits();        // limits: per-cluster concurrency (Ambassador.Policies/Limits/ConcurrencyLimitsMiddleware)
            proxy.UseAmbassadorResilience();    // policy: the attempt loop (Ambassador.Policies/Proxy/ResilienceMiddleware)
            proxy.UseSessionAffinity();         // YARP, per attempt
            proxy.UseLoadBalancing();           // YARP, per attempt (sees the one destination the policy picked)
            proxy.UsePassiveHealthChecks();     // YARP, per attempt
            proxy.UseAttemptRecording();        // per-attempt recording (Telemetry/AttemptRecordingMiddleware); then YARP's forwarder
        });
    }

    /// <summary>Validates the configuration the host was built with and publishes it; call before starting.</summary>
    public static ConfigProblems ApplyInitialConfiguration(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var gate = app.Services.GetRequiredService<ConfigGate>();
        return gate.TryApply(app.Services.GetRequiredService<ConfigValidator>());
    }
}
