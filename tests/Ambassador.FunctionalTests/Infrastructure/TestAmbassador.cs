using System.Text.Json.Nodes;
using Ambassador.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ambassador.FunctionalTests.Infrastructure;

/// <summary>
/// The real Ambassador composition root (<see cref="AmbassadorHost.Build"/>, the same code path as
/// production) started on 127.0.0.1:0 with a temp-file configuration that tests may rewrite to hot-reload.
/// </summary>
public sealed class TestAmbassador : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    static TestAmbassador()
    {
        // This process hosts a dozen proxies, upstreams and WireMock servers at once on two cores, and WireMock starts
        // its server synchronously. A floor under the thread pool keeps timer callbacks (timeouts under test) from
        // waiting for thread injection; a deployed Ambassador is one host per process and does not need this.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    private TestAmbassador(WebApplication app, string directory, string configPath, TestLogSink logs)
    {
        _app = app;
        _directory = directory;
        ConfigPath = configPath;
        Logs = logs;
        var listeners = app.Services.GetRequiredService<ListenerRegistry>();
        ProxyAddress = listeners.GetAddress(ListenerNames.Proxy)!;
        AdminAddress = listeners.GetAddress(ListenerNames.Admin)!;
        ProxyTlsAddress = listeners.GetAddress(ListenerNames.ProxyTls);
        ProxyClient = new HttpClient { BaseAddress = ProxyAddress, Timeout = TimeSpan.FromSeconds(30) };
        AdminClient = new HttpClient { BaseAddress = AdminAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri ProxyAddress { get; }

    public Uri AdminAddress { get; }

    /// <summary>The bound TLS proxy listener, or null when <c>Ambassador:Tls:CertificatePath</c> is not set.</summary>
    public Uri? ProxyTlsAddress { get; }

    public HttpClient ProxyClient { get; }

    public HttpClient AdminClient { get; }

    public IServiceProvider Services => _app.Services;

    public TestLogSink Logs { get; }

    /// <summary>The temp file holding the configuration; rewrite it (see <see cref="RewriteConfigAsync"/>) to hot-reload.</summary>
    public string ConfigPath { get; }

    /// <summary>Starts Ambassador with <paramref name="json"/> as its appsettings (listeners are forced to 127.0.0.1:0).</summary>
    public static async Task<TestAmbassador> StartAsync(string json, Action<WebApplicationBuilder>? configure = null)
    {
        var directory = Directory.CreateTempSubdirectory("ambassador-test-").FullName;
        var configPath = Path.Combine(directory, "ambassador.json");
        await File.WriteAllTextAsync(configPath, json);
        var logs = new TestLogSink();
        var app = AmbassadorHost.Build(["--config", configPath], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Ambassador:Listeners:Proxy"] = "http://127.0.0.1:0",
                ["Ambassador:Listeners:Admin"] = "http://127.0.0.1:0",
                ["Ambassador:Listeners:ProxyTls"] = "https://127.0.0.1:0",
            });
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            configure?.Invoke(builder);
        }, contentRoot: directory);

        var problems = AmbassadorHost.ApplyInitialConfiguration(app);
        if (!problems.IsValid)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException("Test configuration is invalid:" + Environment.NewLine + problems);
        }

        await app.StartAsync();
        return new TestAmbassador(app, directory, configPath, logs);
    }

    /// <summary>Starts Ambassador with flat configuration keys (e.g. <c>ReverseProxy:Routes:r:ClusterId</c>).</summary>
    public static Task<TestAmbassador> StartAsync(IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null) =>
        StartAsync(ToJson(settings), configure);

    /// <summary>
    /// Replaces the configuration file atomically, which triggers a hot reload, and waits until the host's
    /// configuration holds what the new file changed (what the host then does with it is up to the test). A reload is
    /// not enough: a late file-system event of the previous write can reload the old content, and the provider does not
    /// watch the file while it reloads, so the new write's own event may be lost. Such a lost write is answered like an
    /// editor's second save: the file is written again, at most three times.
    /// </summary>
    public async Task RewriteConfigAsync(string json)
    {
        var configuration = (IConfigurationRoot)_app.Configuration;

        // The keys the new file changes and that the file decides (a later source, such as the forced listeners, wins);
        // a malformed file on either side has no keys to wait for, only the reload.
        var before = TryFlatten(await File.ReadAllTextAsync(ConfigPath));
        var after = TryFlatten(json);
        var changed = before is null || after is null
            ? []
            : after.Where(kv => before.GetValueOrDefault(kv.Key) != kv.Value && configuration[kv.Key] == before.GetValueOrDefault(kv.Key)).ToList();
        for (var write = 1; ; write++)
        {
            var reloaded = configuration.GetReloadToken();
            var temp = ConfigPath + ".tmp";
            await File.WriteAllTextAsync(temp, json);
            File.Move(temp, ConfigPath, overwrite: true);
            try
            {
                await Poll.UntilAsync(() => reloaded.HasChanged && changed.All(kv => configuration[kv.Key] == kv.Value),
                    TimeSpan.FromSeconds(5), "the configuration file is reloaded with its new content");
                return;
            }
            catch (TimeoutException) when (write < 3)
            {
            }
        }
    }

    private static Dictionary<string, string>? TryFlatten(string json)
    {
        try
        {
            using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
            return new ConfigurationBuilder().AddJsonStream(stream).Build().AsEnumerable()
                .Where(kv => kv.Value is not null)
                .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            return null;
        }
    }

    public T GetRequiredService<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        ProxyClient.Dispose();
        AdminClient.Dispose();
        try
        {
            await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Turns flat colon-separated keys into a JSON document.</summary>
    public static string ToJson(IDictionary<string, string?> settings)
    {
        var root = new JsonObject();
        foreach (var (key, value) in settings)
        {
            var parts = key.Split(':');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (node[parts[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[parts[i]] = child;
                }

                node = child;
            }

            node[parts[^1]] = value;
        }

        return root.ToJsonString();
    }
}
