using Ambassador.Configuration;
using Yarp.ReverseProxy;

namespace Ambassador.Hosting;

/// <summary>
/// Runs the proxy: builds the host, refuses to start on invalid configuration (every problem on stderr, exit code
/// <see cref="AmbassadorHost.InvalidConfigurationExitCode"/>), otherwise serves until SIGTERM and exits 0.
/// </summary>
internal static partial class ServeCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter stderr, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = AmbassadorHost.Build(args);
        }
        catch (ConfigurationLoadException ex)
        {
            await WriteAsync(stderr, ex.Problems).ConfigureAwait(false);
            return AmbassadorHost.InvalidConfigurationExitCode;
        }

        await using (app.ConfigureAwait(false))
        {
            var problems = AmbassadorHost.ApplyInitialConfiguration(app);
            if (!problems.IsValid)
            {
                await WriteAsync(stderr, problems).ConfigureAwait(false);
                return AmbassadorHost.InvalidConfigurationExitCode;
            }

            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            StartupMemory.Compact();
            LogStarted(app);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    private static async Task WriteAsync(TextWriter stderr, ConfigProblems problems)
    {
        foreach (var line in problems.Lines)
        {
            await stderr.WriteLineAsync(line).ConfigureAwait(false);
        }
    }

    private static void LogStarted(WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<ListenerRegistry>().Describe();
        var proxy = app.Services.GetRequiredService<IProxyStateLookup>();
        var routes = proxy.GetRoutes().Count();
        var clusters = proxy.GetClusters().Count();
        LogListening(app.Logger, listeners, routes, clusters);
    }
}
