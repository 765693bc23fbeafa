using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Demo;

/// <summary>One order request as the demo saw it.</summary>
internal sealed record RequestOutcome(int Status, string? Instance, string? Reason, string? Detail, TimeSpan Elapsed);

/// <summary>A phase of the demo: what happened to its requests and what the ambassador did meanwhile.</summary>
internal sealed record PhaseResult(string Title, IReadOnlyList<RequestOutcome> Outcomes, long? UpstreamAttempts, double? Retries)
{
    public int Succeeded => Outcomes.Count(o => o.Status == 200);

    public int Failed => Outcomes.Count - Succeeded;

    public string ServedBy => string.Join(", ", Outcomes.Where(o => o.Instance is not null)
        .GroupBy(o => o.Instance!).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} x{g.Count()}"));

    public string Failures => string.Join(", ", Outcomes.Where(o => o.Status != 200)
        .GroupBy(o => $"{(o.Status == 0 ? "no answer" : o.Status.ToString(CultureInfo.InvariantCulture))} {o.Reason}".Trim())
        .Select(g => $"{g.Key} x{g.Count()}"));

    public TimeSpan Slowest => Outcomes.Count == 0 ? TimeSpan.Zero : Outcomes.Max(o => o.Elapsed);
}

/// <summary>
/// The scenario: two inventory instances, the ambassador in front of them (static discovery), the order service
/// calling the ambassador only; then one instance fails, is healed, is killed, and finally the ambassador goes away.
/// </summary>
internal sealed class DemoRunner : IDisposable
{
    private readonly DemoSetup _setup;
    private readonly TextWriter _out;
    private readonly HttpClient _http = new() { Timeout = DemoConstants.HttpTimeout };
    private readonly AmbassadorProbe _probe;
    private readonly List<ChildProcess> _children = [];
    private bool _policies;

    private DemoRunner(DemoSetup setup, TextWriter output)
    {
        _setup = setup;
        _out = output;
        _probe = new AmbassadorProbe(_http, setup.Admin);
    }

    public static async Task<int> RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var setup = DemoSetup.Create();
        using var runner = new DemoRunner(setup, output);
        try
        {
            return await runner.RunScenarioAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine();
            output.WriteLine("Demo interrupted (Ctrl+C, SIGTERM or its 2-minute limit).");
            return 130;
        }
        catch (HttpRequestException ex)
        {
            // A process the demo relies on went away under it (killed from outside, crashed).
            output.WriteLine();
            output.WriteLine($"The demo stopped: a process it started no longer answers ({ex.Message}).");
            return 1;
        }
        catch (DemoFailedException ex)
        {
            output.WriteLine();
            output.WriteLine($"The demo could not run: {ex.Message}");
            foreach (var line in ex.Details)
            {
                output.WriteLine($"    {line}");
            }

            return 1;
        }
        finally
        {
            await runner.StopAllAsync();
            setup.Delete();
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<int> RunScenarioAsync(CancellationToken cancellationToken)
    {
        if (_setup.MissingApp() is { } missing)
        {
            throw new DemoFailedException($"{missing} is not built. Run it as: dotnet run --project samples/Demo", []);
        }

        Title("Ambassador demo: an app that only ever calls its sidecar");
        _out.WriteLine($"  inventory-a    {DemoSetup.Origin(_setup.InventoryAPort)}   (samples/InventoryService)");
        _out.WriteLine($"  inventory-b    {DemoSetup.Origin(_setup.InventoryBPort)}   (samples/InventoryService)");
        _out.WriteLine($"  ambassador     proxy {DemoSetup.Origin(_setup.ProxyPort)}, admin {DemoSetup.Origin(_setup.AdminPort)}   (src/Ambassador, static discovery of both instances)");
        _out.WriteLine($"  order-service  {DemoSetup.Origin(_setup.OrderPort)}   (samples/OrderService; its HttpClient's BaseAddress is the ambassador)");
        _out.WriteLine();

        await WriteConfigAsync(cancellationToken);
        await StartAllAsync(cancellationToken);

        var phases = new List<PhaseResult>
        {
            await RunPhaseAsync("1. both inventory instances healthy", cancellationToken),
        };
        Explain(phases[^1]);

        await SwitchFailureAsync(_setup.InventoryB, fail: true, cancellationToken);
        phases.Add(await RunPhaseAsync("2. inventory-b answers 503 to everything", cancellationToken));
        Explain(phases[^1]);
        await WriteDestinationsAsync(cancellationToken);

        await SwitchFailureAsync(_setup.InventoryB, fail: false, cancellationToken);
        await WaitUntilServedByAsync(DemoConstants.InventoryB, cancellationToken);
        phases.Add(await ConsulRegistrationPhase.RunAsync(_setup, _http, _out, cancellationToken));

        await _children.Single(c => c.Name == DemoConstants.InventoryB).StopAsync();
        _out.WriteLine();
        _out.WriteLine("  inventory-b's process is now killed (like a crash).");
        phases.Add(await RunPhaseAsync("3. inventory-b is stopped", cancellationToken));
        Explain(phases[^1]);
        await WriteDestinationsAsync(cancellationToken);
        var metrics = await _probe.MetricsAsync(cancellationToken);

        var degraded = await RunDegradedPhaseAsync(cancellationToken);

        WriteSummary(phases, degraded, metrics);
        return 0;
    }

    private async Task WriteConfigAsync(CancellationToken cancellationToken)
    {
        // Try the resilience policy first; a build of Ambassador that does not know Policies yet rejects it
        // (unknown keys are config errors), and then the demo runs with YARP's health checks alone.
        foreach (var withPolicies in new[] { true, false })
        {
            await File.WriteAllTextAsync(_setup.ConfigPath, _setup.AmbassadorConfig(withPolicies), cancellationToken);
            var (exitCode, output) = await ChildProcess.RunToEndAsync(
                _setup.Dotnet, [_setup.Apps["Ambassador"], "validate", _setup.ConfigPath], _setup.WorkDirectory, TimeSpan.FromSeconds(30), cancellationToken);
            if (exitCode == 0)
            {
                _policies = withPolicies;
                _out.WriteLine(withPolicies
                    ? "  Ambassador config: route /inventory/** -> 2 instances, health checks, policy 'default' (2 retries, breakers, timeouts)."
                    : "  Ambassador config: route /inventory/** -> 2 instances, health checks (this build has no resilience policies yet).");
                return;
            }

            if (!withPolicies)
            {
                throw new DemoFailedException($"'Ambassador validate' rejected the generated config (exit {exitCode}).", output);
            }
        }
    }

    private async Task StartAllAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        _out.Write("  Starting 4 processes ");
        StartInventory(DemoConstants.InventoryA, _setup.InventoryAPort);
        StartInventory(DemoConstants.InventoryB, _setup.InventoryBPort);
        Start("ambassador", "Ambassador", "--config", _setup.ConfigPath);
        Start("order-service", "OrderService",
            $"--urls={DemoSetup.Origin(_setup.OrderPort)}",
            $"--Ambassador:BaseAddress={_setup.Proxy}",
            $"--Ambassador:AdminAddress={_setup.Admin}",
            "--Ambassador:Timeout=00:00:03",
            "--Logging:LogLevel:Default=Warning");

        await WaitReadyAsync(DemoConstants.InventoryA, new Uri(_setup.InventoryA, "health"), cancellationToken);
        await WaitReadyAsync(DemoConstants.InventoryB, new Uri(_setup.InventoryB, "health"), cancellationToken);
        await WaitReadyAsync("ambassador", new Uri(_setup.Admin, "readyz"), cancellationToken);
        await WaitReadyAsync("order-service", new Uri(_setup.Order, "alive"), cancellationToken);
        _out.WriteLine($" all ready in {started.Elapsed.TotalSeconds:0.0} s.");

        var health = await GetTextAsync(new Uri(_setup.Order, "health"), cancellationToken);
        _out.WriteLine($"  order-service /health (it asks the sidecar's /readyz): {health}");
        await WarmUpAsync(cancellationToken);

        void StartInventory(string name, int port) => Start(name, "InventoryService",
            $"--urls={DemoSetup.Origin(port)}", $"--Inventory:InstanceName={name}", "--Logging:LogLevel:Default=Warning");
    }

    // The first call through the chain pays for JIT and connection set-up in three processes; on a busy machine it
    // can take longer than the app's 2 s budget. One untimed order per instance first, so phase 1 measures steady state.
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var served = new HashSet<string>(StringComparer.Ordinal);
        var tries = 0;
        while (served.Count < 2 && clock.Elapsed < DemoConstants.StartupTimeout && !(tries++ >= 10 && served.Count > 0))
        {
            var outcome = await OrderAsync("sku-warm-up", cancellationToken);
            if (outcome.Instance is { } instance)
            {
                served.Add(instance);
            }
            else
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }

        if (served.Count == 0)
        {
            throw new DemoFailedException("no order got through the ambassador during warm-up. The ambassador's last output:",
                _children.Single(c => c.Name == "ambassador").Tail(30));
        }
    }

    private void Start(string name, string app, params string[] arguments)
    {
        _children.Add(ChildProcess.Start(name, _setup.Dotnet, [_setup.Apps[app], .. arguments], _setup.WorkDirectory));
    }

    private async Task WaitReadyAsync(string name, Uri probe, CancellationToken cancellationToken)
    {
        var child = _children.Single(c => c.Name == name);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (child.HasExited)
            {
                throw new DemoFailedException($"{name} exited with code {child.ExitCode} while starting. Its last output:", child.Tail(30));
            }

            try
            {
                using var response = await _http.GetAsync(probe, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    _out.Write('.');
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (deadline.Elapsed > DemoConstants.StartupTimeout)
            {
                throw new DemoFailedException($"{name} was not ready ({probe}) within {DemoConstants.StartupTimeout.TotalSeconds:0} s. Its last output:", child.Tail(30));
            }

            // Polling a starting process: a short pause between probes, bounded by the deadline above.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private async Task<PhaseResult> RunPhaseAsync(string title, CancellationToken cancellationToken)
    {
        _out.WriteLine();
        _out.WriteLine($"Phase {title}");
        var before = await AttemptsAsync(cancellationToken);
        var retriesBefore = await RetriesAsync(cancellationToken);
        var outcomes = new List<RequestOutcome>();
        for (var i = 0; i < DemoConstants.RequestsPerPhase; i++)
        {
            outcomes.Add(await OrderAsync($"sku-{i + 1}", cancellationToken));
            // Sequential traffic, like one user: the pause spreads the phase over ~2 s so health checks can act.
            await Task.Delay(DemoConstants.RequestPause, cancellationToken);
        }

        var after = await AttemptsAsync(cancellationToken);
        var retriesAfter = await RetriesAsync(cancellationToken);
        var attempts = before is not null && after is not null ? after - before : null;
        var retries = retriesBefore is not null && retriesAfter is not null
            ? retriesAfter - retriesBefore
            : attempts is not null ? Math.Max(0, attempts.Value - outcomes.Count) : null;
        return new PhaseResult(title, outcomes, attempts, retries);
    }

    private async Task<RequestOutcome> OrderAsync(string sku, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.GetAsync(new Uri(_setup.Order, $"orders/{sku}"), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var elapsed = clock.Elapsed;
            string? instance = null, reason = null, detail = null;
            try
            {
                using var json = JsonDocument.Parse(body);
                instance = Property(json.RootElement, "inventoryInstance");
                reason = Property(json.RootElement, "reason");
                detail = Property(json.RootElement, "detail");
            }
            catch (JsonException)
            {
                detail = body.Length > 200 ? body[..200] : body;
            }

            return new RequestOutcome((int)response.StatusCode, instance, reason, detail, elapsed);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new RequestOutcome(0, null, "no-answer", ex.Message, clock.Elapsed);
        }

        static string? Property(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
    }

    private void Explain(PhaseResult phase)
    {
        var words = $"  {phase.Succeeded} of {phase.Outcomes.Count} orders succeeded";
        if (phase.ServedBy.Length > 0)
        {
            words += $" (inventory answered from {phase.ServedBy})";
        }

        _out.WriteLine(words + $"; slowest {phase.Slowest.TotalMilliseconds:0} ms.");
        if (phase.Failed > 0)
        {
            _out.WriteLine($"  Failed: {phase.Failures}.");
        }

        if (phase.UpstreamAttempts is { } attempts)
        {
            _out.WriteLine($"  The ambassador made {attempts} upstream attempts for {phase.Outcomes.Count} requests"
                + (phase.Retries is { } r ? $": {r:0} {(r == 1 ? "retry" : "retries")}." : "."));
        }
    }

    private async Task SwitchFailureAsync(Uri instance, bool fail, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(fail ? HttpMethod.Post : HttpMethod.Delete, new Uri(instance, "admin/fail"));
        using var response = await _http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private async Task WaitUntilServedByAsync(string instance, CancellationToken cancellationToken)
    {
        _out.WriteLine();
        _out.Write($"  inventory-b healed (DELETE /admin/fail); waiting until the ambassador sends it traffic again ...");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < DemoConstants.RecoveryTimeout)
        {
            var outcome = await OrderAsync("sku-recovery", cancellationToken);
            if (outcome.Instance == instance)
            {
                _out.WriteLine($" back in rotation after {clock.Elapsed.TotalSeconds:0.0} s.");
                return;
            }

            // Health checks and breakers re-admit an instance on their own schedule; poll it, bounded above.
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }

        _out.WriteLine($" not within {DemoConstants.RecoveryTimeout.TotalSeconds:0} s; going on.");
    }

    private async Task<RequestOutcome[]> RunDegradedPhaseAsync(CancellationToken cancellationToken)
    {
        _out.WriteLine();
        _out.WriteLine("Phase 4. the ambassador itself is stopped");
        await _children.Single(c => c.Name == "ambassador").StopAsync();
        var outcomes = new RequestOutcome[3];
        for (var i = 0; i < outcomes.Length; i++)
        {
            outcomes[i] = await OrderAsync($"sku-{i + 1}", cancellationToken);
        }

        var first = outcomes[0];
        _out.WriteLine($"  order-service answered {string.Join(", ", outcomes.Select(o => o.Status))} "
            + $"within {outcomes.Max(o => o.Elapsed).TotalMilliseconds:0} ms each; it did not hang.");
        _out.WriteLine($"  Its message: \"{first.Detail}\"");
        var health = await GetTextAsync(new Uri(_setup.Order, "health"), cancellationToken);
        _out.WriteLine($"  order-service /health now: {health}");
        return outcomes;
    }

    private void WriteSummary(List<PhaseResult> phases, RequestOutcome[] degraded, PrometheusText? metrics)
    {
        Title("Summary");
        var table = new TextTable("phase", "orders", "ok", "failed", "upstream attempts", "retries", "served by");
        foreach (var phase in phases)
        {
            table.Add(phase.Title, Count(phase.Outcomes.Count), Count(phase.Succeeded), Count(phase.Failed),
                phase.UpstreamAttempts?.ToString(CultureInfo.InvariantCulture) ?? "-",
                phase.Retries is { } r ? r.ToString("0", CultureInfo.InvariantCulture) : "-",
                phase.ServedBy);
        }

        table.Add("4. ambassador stopped", Count(degraded.Length), Count(degraded.Count(o => o.Status == 200)),
            Count(degraded.Count(o => o.Status != 200)), "-", "-", $"503 in <= {degraded.Max(o => o.Elapsed).TotalMilliseconds:0} ms");
        table.WriteTo(_out);

        WriteMetrics(metrics);

        _out.WriteLine();
        var trouble = phases.Skip(1).Sum(p => p.Failed);
        var total = phases.Skip(1).Sum(p => p.Outcomes.Count);
        if (phases.All(p => p.Failed == 0))
        {
            _out.WriteLine($"Every order succeeded ({phases.Sum(p => p.Succeeded)} of {phases.Sum(p => p.Outcomes.Count)}) while inventory-b first failed and then died:");
            _out.WriteLine("the ambassador retried on the other instance and took the bad one out of rotation; the app never noticed.");
        }
        else
        {
            _out.WriteLine($"{total - trouble} of {total} orders succeeded while inventory-b failed and died; {trouble} failed before the ambassador took it out of rotation.");
            if (!_policies)
            {
                _out.WriteLine("This Ambassador build has no retry policy yet: YARP's health checks alone removed the instance.");
            }
        }

        var degradedOk = degraded.All(o => o.Status == 503 && o.Elapsed < TimeSpan.FromSeconds(3));
        _out.WriteLine(degradedOk
            ? "Without its sidecar the app degraded gracefully: a clear 503 at once, no hang."
            : "Without its sidecar the app did not answer as expected (see phase 4).");
    }

    private void WriteMetrics(PrometheusText? metrics)
    {
        _out.WriteLine();
        if (metrics is null)
        {
            _out.WriteLine("  Metrics: this build has no /metrics endpoint yet.");
            return;
        }

        var cluster = $"cluster=\"{DemoConstants.ClusterId}\"";
        var table = new TextTable("metric (cluster inventory, from /metrics)", "label", "value");
        foreach (var (family, label) in new[]
        {
            ("ambassador_requests", "status_class"),
            ("ambassador_upstream_attempts", "outcome"),
            ("ambassador_retries", "reason"),
            ("ambassador_retry_budget_refusals", "cluster"),
            ("ambassador_circuit_breaker_state", "destination"),
        })
        {
            var name = metrics.NameOf(family);
            foreach (var (value, sum) in metrics.ByLabel(family, label, cluster))
            {
                table.Add(name, $"{label}={value}", sum.ToString("0.##", CultureInfo.InvariantCulture));
            }
        }

        if (metrics.Samples.Any(s => s.Name.StartsWith("ambassador_", StringComparison.Ordinal)))
        {
            table.WriteTo(_out);
        }
        else
        {
            _out.WriteLine("  Metrics: /metrics has no ambassador_* series yet in this build.");
        }
    }

    private async Task WriteDestinationsAsync(CancellationToken cancellationToken)
    {
        var destinations = await _probe.DestinationsAsync(DemoConstants.ClusterId, cancellationToken);
        if (destinations is null)
        {
            _out.WriteLine("  (/admin/clusters is not available in this build)");
            return;
        }

        _out.WriteLine("  What the ambassador reports (/admin/clusters):");
        var table = new TextTable("destination", "health", "breaker", "requests", "failures");
        foreach (var d in destinations)
        {
            table.Add(d.Id, d.Health ?? "-", d.Breaker ?? "-",
                d.Requests?.ToString(CultureInfo.InvariantCulture) ?? "-", d.Failures?.ToString(CultureInfo.InvariantCulture) ?? "-");
        }

        table.WriteTo(_out, "    ");
    }

    private async Task<long?> AttemptsAsync(CancellationToken cancellationToken)
    {
        var destinations = await _probe.DestinationsAsync(DemoConstants.ClusterId, cancellationToken);
        return destinations is { Count: > 0 } && destinations.All(d => d.Requests is not null)
            ? destinations.Sum(d => d.Requests!.Value)
            : null;
    }

    private async Task<double?> RetriesAsync(CancellationToken cancellationToken)
    {
        var metrics = await _probe.MetricsAsync(cancellationToken);
        return metrics is not null && metrics.Has("ambassador_retries")
            ? metrics.Sum("ambassador_retries", $"cluster=\"{DemoConstants.ClusterId}\"")
            : null;
    }

    private async Task<string> GetTextAsync(Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(uri, cancellationToken);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return $"no answer ({ex.Message})";
        }
    }

    private async Task StopAllAsync()
    {
        foreach (var child in Enumerable.Reverse(_children))
        {
            await child.StopAsync();
        }

        var left = _children.Where(c => !c.HasExited).Select(c => $"{c.Name} (pid {c.Id})").ToList();
        foreach (var child in _children)
        {
            await child.DisposeAsync();
        }

        _out.WriteLine();
        _out.WriteLine(left.Count == 0
            ? $"Stopped the {_children.Count} processes the demo started (pids {string.Join(", ", _children.Select(c => c.Id))}); none is left running."
            : $"Could not stop: {string.Join(", ", left)}.");
    }

    private void Title(string text)
    {
        _out.WriteLine();
        _out.WriteLine(text);
        _out.WriteLine(new string('=', text.Length));
    }

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The demo cannot go on; the message says why and what to do.</summary>
internal sealed class DemoFailedException(string message, IReadOnlyList<string> details) : Exception(message)
{
    public IReadOnlyList<string> Details { get; } = details;
}
