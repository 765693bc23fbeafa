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

            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // Another process holds a listener's port: one line naming the key, not an unhandled exception (which
                // would abort the process with a stack trace and no exit code to act on).
                var listeners = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ListenerOptions>>().Value;
                await stderr.WriteLineAsync(DescribeAddressInUse(ex.Message, listeners)).ConfigureAwait(false);
                return AmbassadorHost.ListenerInUseExitCode;
            }

            StartupMemory.Compact();
            LogStarted(app);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
    }

    /// <summary>
    /// <c>&lt;key&gt;: &lt;address&gt; is already in use…</c> for the listener whose port Kestrel could not bind; its message
    /// (<c>Failed to bind to address http://127.0.0.1:9901: address already in use.</c>) names the address.
    /// </summary>
    internal static string DescribeAddressInUse(string message, ListenerOptions listeners)
    {
        var match = FailedAddress().Match(message);
        if (match.Success && Uri.TryCreate(match.Groups[1].Value, UriKind.Absolute, out var failed))
        {
            (string Key, string? Url)[] configured =
            [
                (nameof(ListenerOptions.Proxy), listeners.Proxy),
                (nameof(ListenerOptions.ProxyTls), listeners.ProxyTls),
                (nameof(ListenerOptions.Admin), listeners.Admin),
            ];
            foreach (var (key, url) in configured)
            {
                if (ListenerAddress.Parse(url) is { } address && address.Port == failed.Port)
                {
                    return $"{ListenerOptions.SectionName}:{key}: '{url}' is already in use by another process; stop that process or configure a free address";
                }
            }
        }

        return $"{ListenerOptions.SectionName}: {message.TrimEnd('.')}; stop the process that holds the address or configure a free one";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"address (\S+): address already in use", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex FailedAddress();

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
