using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Demo;

/// <summary>
/// The phase where the inventory instances have no Consul code of their own: each gets its own ambassador (the inbound
/// side: <c>Ambassador:App</c> + <c>Ambassador:Registration:Consul</c>) that registers it in Consul (the demo's
/// stand-in, <see cref="DemoConsul"/>); a second order-service whose ambassador finds inventory through Consul places
/// orders; then inventory-b's sidecar gets SIGTERM mid-traffic and deregisters it first, and the orders go on to
/// inventory-a. Self-contained: it starts and stops its own processes, so the rest of the demo is unchanged.
/// </summary>
internal sealed class ConsulRegistrationPhase : IAsyncDisposable
{
    private const string Title = "2b. registered in Consul by their sidecars; inventory-b's sidecar gets SIGTERM";
    private const int OrdersBeforeStop = 8;
    private const int OrdersAfterStop = 12;

    // Small enough to show within the demo's seconds: probe every 0.5 s (TTL 1.5 s), a 1-s pre-stop delay.
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(500);

    private readonly DemoSetup _setup;
    private readonly HttpClient _http;
    private readonly TextWriter _out;
    private readonly List<ChildProcess> _children = [];
    private readonly int[] _ports = DemoSetup.FreeLoopbackPorts(8);
    private DemoConsul? _consul;

    private ConsulRegistrationPhase(DemoSetup setup, HttpClient http, TextWriter output)
    {
        _setup = setup;
        _http = http;
        _out = output;
    }

    private int ConsulPort => _ports[0];

    private int OrderAmbassadorProxyPort => _ports[1];

    private int OrderAmbassadorAdminPort => _ports[2];

    private int OrderPort => _ports[3];

    /// <summary>Runs the phase while inventory-a and inventory-b (started by the demo) are both up and healthy.</summary>
    public static async Task<PhaseResult> RunAsync(DemoSetup setup, HttpClient http, TextWriter output, CancellationToken cancellationToken)
    {
        await using var phase = new ConsulRegistrationPhase(setup, http, output);
        return await phase.RunAsync(cancellationToken);
    }

    private async Task<PhaseResult> RunAsync(CancellationToken cancellationToken)
    {
        _out.WriteLine();
        _out.WriteLine($"Phase {Title}");
        _consul = await DemoConsul.StartAsync(ConsulPort, cancellationToken);
        _out.WriteLine($"  consul (stand-in, in the demo's process) {DemoSetup.Origin(ConsulPort)}: the agent API and blocking health queries.");
        var started = Stopwatch.StartNew();
        var sidecarA = StartSidecar(DemoConstants.InventoryA, _setup.InventoryAPort, _ports[4], _ports[5]);
        var sidecarB = StartSidecar(DemoConstants.InventoryB, _setup.InventoryBPort, _ports[6], _ports[7]);
        var orderAmbassador = Start("consul-ambassador", "Ambassador", "--config", await WriteAsync("consul-ambassador.json", OrderAmbassadorConfig(), cancellationToken));
        var order = Start("order-service-2", "OrderService",
            $"--urls={DemoSetup.Origin(OrderPort)}",
            $"--Ambassador:BaseAddress={DemoSetup.Origin(OrderAmbassadorProxyPort)}/",
            $"--Ambassador:AdminAddress={DemoSetup.Origin(OrderAmbassadorAdminPort)}/",
            "--Ambassador:Timeout=00:00:03",
            "--Logging:LogLevel:Default=Warning");
        _out.WriteLine($"  {sidecarA.Name}, {sidecarB.Name}: an ambassador beside each inventory instance (Ambassador:App probes its /health every 0.5 s,");
        _out.WriteLine("    Ambassador:Registration:Consul registers it as 'inventory' with a TTL check); the instances have no Consul code.");
        _out.WriteLine($"  consul-ambassador {DemoSetup.Origin(OrderAmbassadorProxyPort)}: the order side, cluster 'inventory' = the Consul service http://inventory;");
        _out.WriteLine($"  order-service-2 {DemoSetup.Origin(OrderPort)} calls only it.");

        await UntilAsync(() => Task.FromResult(_consul.Registered().Count == 2), sidecarB, "both sidecars registered their instance in Consul");
        var registeredIn = started.Elapsed;
        var orderUri = new Uri(DemoSetup.Origin(OrderPort) + "/");
        await UntilAsync(async () => await OkAsync(new Uri(orderUri, "health"), cancellationToken), order, "order-service-2's sidecar resolved inventory through Consul");
        _out.WriteLine($"  Registered by their sidecars after {registeredIn.TotalSeconds:0.0} s: {string.Join(", ", _consul.Registered())}.");

        var outcomes = new List<RequestOutcome>();
        // Until both instances have answered once: YARP applies the destinations from Consul's answer just after /readyz
        // turns ready, and the order service's first call pays for connection set-up.
        var served = new HashSet<string>(StringComparer.Ordinal);
        await UntilAsync(async () =>
        {
            var warm = await OrderAsync(orderUri, "sku-warm-up", cancellationToken);
            if (warm.Instance is { } instance)
            {
                served.Add(instance);
            }

            return served.Count == 2;
        }, orderAmbassador, "orders reached both Consul-registered instances");

        for (var i = 0; i < OrdersBeforeStop; i++)
        {
            outcomes.Add(await OrderAsync(orderUri, $"sku-{i + 1}", cancellationToken));
            await Task.Delay(DemoConstants.RequestPause, cancellationToken);
        }

        // SIGTERM as Kubernetes or compose sends it. The timestamp is taken before the kill command starts, so the
        // figure below includes starting it (a millisecond or two).
        var signalledAt = Stopwatch.GetTimestamp();
        Signal(sidecarB, "TERM");
        var stopIndex = outcomes.Count;
        var startedAt = new List<long>();
        for (var i = 0; i < OrdersAfterStop; i++)
        {
            startedAt.Add(Stopwatch.GetTimestamp());
            outcomes.Add(await OrderAsync(orderUri, $"sku-{OrdersBeforeStop + i + 1}", cancellationToken));
            await Task.Delay(DemoConstants.RequestPause, cancellationToken);
        }

        await UntilAsync(() => Task.FromResult(sidecarB.HasExited), sidecarB, "inventory-b's sidecar exits after SIGTERM");
        var exitedAfter = Stopwatch.GetElapsedTime(signalledAt);
        var deregistration = _consul.Events().FirstOrDefault(e => e.What == "deregister" && e.Timestamp > signalledAt);
        var after = outcomes.Skip(stopIndex).ToList();
        var before = outcomes.Take(stopIndex).ToList();
        var result = new PhaseResult(Title, outcomes, UpstreamAttempts: null, Retries: null);
        var failed = outcomes.Count(o => o.Status != 200);
        _out.WriteLine($"  {result.Succeeded} of {outcomes.Count} orders succeeded; before the SIGTERM from {Served(before)}, after it from {Served(after)}.");
        if (failed > 0)
        {
            _out.WriteLine($"  Failed: {result.Failures}.");
        }

        _out.WriteLine(deregistration is null
            ? "  inventory-b was not deregistered after its sidecar's SIGTERM."
            : $"  SIGTERM -> deregistration from Consul: {Stopwatch.GetElapsedTime(signalledAt, deregistration.Timestamp).TotalMilliseconds:0} ms "
              + $"(then its 1-s pre-stop delay and the drain; the sidecar exited with code {sidecarB.ExitCode} after {exitedAfter.TotalSeconds:0.0} s).");
        if (deregistration is not null)
        {
            // Consul answers the order side's blocking query at once; YARP then swaps the destinations.
            var late = after.Where((o, i) => o.Instance == DemoConstants.InventoryB && startedAt[i] > deregistration.Timestamp).Count();
            _out.WriteLine($"  Orders sent to inventory-b that started after its deregistration: {late}.");
        }

        _out.WriteLine($"  Still registered: {string.Join(", ", _consul.Registered())}. The instance itself kept running (in a pod it would stop");
        _out.WriteLine("  after its preStop sleep); callers had stopped being sent to it first.");
        return result;
    }

    private ChildProcess StartSidecar(string instance, int appPort, int proxyPort, int adminPort)
    {
        var name = instance + "-sidecar";
        var config = Path.Combine(_setup.WorkDirectory, name + ".json");
        File.WriteAllText(config, SidecarConfig(appPort, proxyPort, adminPort));
        return Start(name, "Ambassador", "--config", config);
    }

    /// <summary>
    /// An inventory instance's ambassador: it probes the app beside it and registers it in Consul (the advertised address
    /// and port are the app's). It has no routes of its own in this demo.
    /// </summary>
    private string SidecarConfig(int appPort, int proxyPort, int adminPort) => $$"""
        {
          "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information", "Ambassador.Registration": "Information" } },
          "Ambassador": {
            "Listeners": { "Proxy": "{{DemoSetup.Origin(proxyPort)}}", "Admin": "{{DemoSetup.Origin(adminPort)}}" },
            "Lifecycle": { "PreStopDelay": "00:00:01" },
            "App": {
              "Address": "{{DemoSetup.Origin(appPort)}}", "HealthPath": "/health",
              "Health": { "Interval": "{{ProbeInterval:c}}", "Timeout": "{{ProbeInterval:c}}" }
            },
            "Discovery": { "Consul": { "Address": "{{DemoSetup.Origin(ConsulPort)}}" } },
            "Registration": { "Consul": { "ServiceName": "{{DemoConstants.ClusterId}}" } }
          }
        }
        """;

    /// <summary>The order side's ambassador: the same route and policy as the demo's, but its instances come from Consul.</summary>
    private string OrderAmbassadorConfig() => $$"""
        {
          "Logging": { "LogLevel": { "Default": "Warning", "Microsoft.Hosting.Lifetime": "Information" } },
          "Ambassador": {
            "Listeners": { "Proxy": "{{DemoSetup.Origin(OrderAmbassadorProxyPort)}}", "Admin": "{{DemoSetup.Origin(OrderAmbassadorAdminPort)}}" },
            "Discovery": { "Consul": { "Address": "{{DemoSetup.Origin(ConsulPort)}}", "WaitTime": "00:00:10" } },
            "Policies": {
              "default": {
                "Retry": { "MaxRetries": 2, "BaseDelay": "00:00:00.020", "MaxDelay": "00:00:00.200" },
                "Timeout": { "PerTry": "00:00:01", "Total": "00:00:02.500" }
              }
            }
          },
          "ReverseProxy": {
            "Routes": { "inventory": { "ClusterId": "{{DemoConstants.ClusterId}}", "Match": { "Path": "/inventory/{**rest}" } } },
            "Clusters": {
              "{{DemoConstants.ClusterId}}": {
                "LoadBalancingPolicy": "RoundRobin",
                "Destinations": { "inventory": { "Address": "http://{{DemoConstants.ClusterId}}" } }
              }
            }
          }
        }
        """;

    private async Task<string> WriteAsync(string file, string content, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_setup.WorkDirectory, file);
        await File.WriteAllTextAsync(path, content, cancellationToken);
        return path;
    }

    private ChildProcess Start(string name, string app, params string[] arguments)
    {
        var child = ChildProcess.Start(name, _setup.Dotnet, [_setup.Apps[app], .. arguments], _setup.WorkDirectory);
        _children.Add(child);
        return child;
    }

    private static void Signal(ChildProcess child, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, child.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    // Polls a condition, bounded by the start-up deadline; a process that exits early ends the wait with its output.
    private async Task UntilAsync(Func<Task<bool>> condition, ChildProcess watched, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            var crashed = _children.FirstOrDefault(c => c.HasExited && c != watched);
            if (crashed is not null || clock.Elapsed > DemoConstants.StartupTimeout)
            {
                var culprit = crashed ?? watched;
                throw new DemoFailedException(
                    crashed is not null
                        ? $"{crashed.Name} exited with code {crashed.ExitCode} before {what}. Its last output:"
                        : $"not within {DemoConstants.StartupTimeout.TotalSeconds:0} s: {what}. {culprit.Name}'s last output:",
                    culprit.Tail(30));
            }

            // Polling processes that are starting or stopping: a short pause between looks, bounded above.
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task<bool> OkAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(uri, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task<RequestOutcome> OrderAsync(Uri order, string sku, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.GetAsync(new Uri(order, $"orders/{sku}"), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            string? instance = null, reason = null;
            try
            {
                using var json = JsonDocument.Parse(body);
                instance = Text(json.RootElement, "inventoryInstance");
                reason = Text(json.RootElement, "reason");
            }
            catch (JsonException)
            {
            }

            return new RequestOutcome((int)response.StatusCode, instance, reason, body.Length > 200 ? body[..200] : body, clock.Elapsed);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new RequestOutcome(0, null, "no-answer", ex.Message, clock.Elapsed);
        }

        static string? Text(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
    }

    private static string Served(IEnumerable<RequestOutcome> outcomes)
    {
        var groups = outcomes.Where(o => o.Instance is not null).GroupBy(o => o.Instance!).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} x{g.Count()}").ToList();
        return groups.Count == 0 ? "no instance" : string.Join(", ", groups);
    }


    public async ValueTask DisposeAsync()
    {
        foreach (var child in Enumerable.Reverse(_children))
        {
            await child.DisposeAsync();
        }

        _out.WriteLine($"  Phase 2b stopped the {_children.Count} processes it started and its Consul stand-in.");

        if (_consul is not null)
        {
            await _consul.DisposeAsync();
        }
    }
}
