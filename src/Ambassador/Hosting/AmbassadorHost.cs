using System.Text.Json;
using Microsoft.Extensions.Configuration.Memory;
using Ambassador.Admin;
using Ambassador.Configuration;
using Ambassador.Policies;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Constraints;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Hosting;

/// <summary>
/// The composition root. <c>Program.cs</c> and the functional tests both go through <see cref="Build"/>,
/// so what the tests start is exactly what ships.
/// </summary>
public static partial class AmbassadorHost
{
    /// <summary>Exit code for invalid configuration (documented contract).</summary>
    public const int InvalidConfigurationExitCode = 2;

    private static readonly Dictionary<string, string?> EmbeddedDefaults = new()
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
        // Any level on this category makes ASP.NET Core create an Activity per request (for log scopes), traced or not.
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "None",
        ["Logging:LogLevel:Yarp"] = "Warning",
        ["Logging:LogLevel:Yarp.ReverseProxy.Forwarder.HttpForwarder"] = "Error", // a warning with stack trace per failed attempt; UpstreamFailureLog says it once
        ["Logging:Console:FormatterName"] = "simple",
        ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ ",
        ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
    };

    /// <summary>Entry point: dispatches <c>validate</c> and <c>health</c>, otherwise runs the proxy until SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, CancellationToken cancellationToken = default)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        if (args.Length > 0 && args[0] == "validate")
        {
            return ValidateCommand.Run(args[1..], stdout, stderr);
        }

        if (args is ["schema", ..]) { return SchemaCommand.Run(args[1..], stdout, stderr); } // JSON schema and docs tables: Configuration/SchemaCommand

        if (args.Length > 0 && args[0] == "health")
        {
            return await HealthCommand.RunAsync(args[1..], stdout, stderr).ConfigureAwait(false);
        }

        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ConfigurationLoadException ex)
        {
            foreach (var line in ex.Problems.Lines)
            {
                await stderr.WriteLineAsync(line).ConfigureAwait(false);
            }

            return InvalidConfigurationExitCode;
        }

        await using (app.ConfigureAwait(false))
        {
            var problems = ApplyInitialConfiguration(app);
            if (!problems.IsValid)
            {
                foreach (var line in problems.Lines)
                {
                    await stderr.WriteLineAsync(line).ConfigureAwait(false);
                }

                return InvalidConfigurationExitCode;
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            LogStarted(app);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    /// <summary>
    /// Builds the host without starting it. <paramref name="args"/> are ASP.NET command-line arguments plus
    /// <c>--config &lt;path&gt;</c>; <paramref name="configure"/> lets tests add configuration or logging last.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, string? contentRoot = null)
    {
        var (aspNetArgs, configPaths) = SplitArgs(args);
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                Args = aspNetArgs,
                ContentRootPath = contentRoot,
            });
            // Embedded defaults, below every other source: per-request framework logs stay off the hot path.
            builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = EmbeddedDefaults });
            foreach (var path in configPaths)
            {
                builder.Configuration.AddJsonFile(Path.GetFullPath(path), optional: false, reloadOnChange: true);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or FormatException)
        {
            throw ConfigurationLoadException.From(ex, configPaths);
        }

        configure?.Invoke(builder);

        // A file that stops parsing on reload must not crash the watcher nor silently drop its keys: the
        // reload goes on (with the file empty) and validation rejects it, naming the file and line.
        foreach (var source in builder.Configuration.Sources.OfType<FileConfigurationSource>())
        {
            source.OnLoadException = context => context.Ignore = true;
        }

        var gate = new ConfigGate(builder.Configuration);
        var validated = gate.Validated;
        var services = builder.Services;
        services.AddSingleton(gate);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ListenerRegistry>();
        services.AddSingleton<DestinationStatsRegistry>();
        services.AddSingleton<Logging.UpstreamFailureLog>();
        ConnectionLimits.AddServices(services); // hardening: Ambassador:Limits
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
        app.Run(NoRouteAsync);
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

    private static Task NoRouteAsync(HttpContext context)
    {
        var listeners = context.RequestServices.GetRequiredService<ListenerRegistry>();
        if (listeners.IsAdmin(context))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return ProxyErrorsMiddleware.WriteAsync(context, Policies.Proxy.ProxyFailure.NoRoute);
    }

    private static (string[] AspNetArgs, List<string> ConfigPaths) SplitArgs(string[] args)
    {
        var rest = new List<string>();
        var configs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length)
            {
                configs.Add(args[++i]);
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                configs.Add(args[i]["--config=".Length..]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        return (rest.ToArray(), configs);
    }

    private static void LogStarted(WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<ListenerRegistry>().Describe();
        var proxy = app.Services.GetRequiredService<IProxyStateLookup>();
        var routes = proxy.GetRoutes().Count();
        var clusters = proxy.GetClusters().Count();
        LogListening(app.Logger, listeners, routes, clusters);
    }

    [LoggerMessage(EventId = 1, EventName = "Started", Level = LogLevel.Information, Message = "Ambassador started: {Listeners} routes={Routes} clusters={Clusters}")]
    private static partial void LogListening(ILogger logger, string listeners, int routes, int clusters);
}

/// <summary>A configuration file could not be loaded at all (missing, malformed JSON).</summary>
public sealed class ConfigurationLoadException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public ConfigurationLoadException(ConfigProblems problems, Exception? inner = null)
        : base(problems.ToString(), inner) => Problems = problems;

    /// <summary>Creates an empty exception.</summary>
    public ConfigurationLoadException()
        : this(new ConfigProblems())
    {
    }

    /// <summary>Creates an exception with one message.</summary>
    public ConfigurationLoadException(string message)
        : base(message) => Problems = new ConfigProblems();

    /// <summary>Creates an exception with one message and a cause.</summary>
    public ConfigurationLoadException(string message, Exception inner)
        : base(message, inner) => Problems = new ConfigProblems();

    /// <summary>Every problem, one per line.</summary>
    public ConfigProblems Problems { get; }

    internal static ConfigurationLoadException From(Exception ex, IReadOnlyList<string> configPaths)
    {
        var problems = new ConfigProblems();
        var file = ex is FileNotFoundException fnf ? fnf.FileName : ExtractQuoted(ex.Message);
        JsonException? json = null;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            json ??= e as JsonException;
        }

        if (ex is FileNotFoundException)
        {
            problems.Add(file ?? string.Join(", ", configPaths), "file not found", "check the path given with --config");
        }
        else if (json is not null)
        {
            problems.Add(file ?? "configuration", $"invalid JSON at line {(json.LineNumber ?? 0) + 1}, position {(json.BytePositionInLine ?? 0) + 1}", "fix the syntax there (comments and trailing commas are allowed)");
        }
        else
        {
            problems.Add(file ?? "configuration", ex.InnerException?.Message ?? ex.Message);
        }

        return new ConfigurationLoadException(problems, ex);
    }

    private static string? ExtractQuoted(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : null;
    }
}
