using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Yarp.ReverseProxy;

namespace Ambassador.FunctionalTests.Discovery;

/// <summary>Consul discovery through the real host, with WireMock.Net speaking Consul's HTTP API.</summary>
public sealed class ConsulDiscoveryTests(ITestOutputHelper output)
{
    private const string Token = "b1gs3cr3t-consul-token-9f2e";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>How long the outage test keeps Consul down: 5 s by default, set AMBASSADOR_TEST_CONSUL_OUTAGE_SECONDS=30 for the full run.</summary>
    private static readonly TimeSpan OutageDuration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("AMBASSADOR_TEST_CONSUL_OUTAGE_SECONDS"), out var s) && s > 0 ? s : 5);

    private static Dictionary<string, string?> Settings(ConsulStub? stub, string cluster = "inventory", string address = "http://inventory")
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:r:ClusterId"] = cluster,
            ["ReverseProxy:Routes:r:Match:Path"] = "/{**catch-all}",
            [$"ReverseProxy:Clusters:{cluster}:Destinations:d1:Address"] = address,
        };
        if (stub is not null)
        {
            settings["Ambassador:Discovery:Consul:Address"] = stub.Url;
            settings["Ambassador:Discovery:Consul:Token"] = Token;
            settings["Ambassador:Discovery:Consul:WaitTime"] = "00:00:30";
            settings["Ambassador:Discovery:Consul:Datacenter"] = "dc1";
            settings["Ambassador:Discovery:Consul:Filter"] = "Service.Tags contains \"primary\"";
        }

        return settings;
    }

    private static string[] DestinationIds(TestAmbassador amb, string cluster = "inventory") =>
        amb.GetRequiredService<IProxyStateLookup>().TryGetCluster(cluster, out var state)
            ? [.. state.Destinations.Keys.Order(StringComparer.Ordinal)]
            : [];

    private static async Task<JsonElement> AdminClusterAsync(TestAmbassador amb, string id)
    {
        using var document = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/clusters"));
        return document.RootElement.GetProperty("clusters").EnumerateArray().Single(c => c.GetProperty("id").GetString() == id).Clone();
    }

    private static string Id(TestUpstream upstream) => $"inventory[127.0.0.1:{upstream.Port}]";

    private static async Task<string> OwnerAsync(TestAmbassador amb)
    {
        using var response = await amb.ProxyClient.GetAsync("/items");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static Task WaitForHeldQueryAsync(ConsulStub stub) =>
        Poll.UntilAsync(
            () => stub.Requests.Any(r => r.Query.TryGetValue("index", out var i) && i == stub.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Deadline,
            "Ambassador holds a blocking query at Consul's current index");

    private static async Task<TimeSpan> TimeUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"condition not met within {limit}");
            }

            await Task.Delay(2);
        }

        return watch.Elapsed;
    }

    [Fact]
    public async Task TwoPassingInstances_BothReceiveTrafficWithServiceHostHeader()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, b, stub) = registered;
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub));

        Assert.Equal(new[] { Id(a), Id(b) }.Order(StringComparer.Ordinal), DestinationIds(amb));

        var owners = new HashSet<string>();
        for (var i = 0; i < 100 && owners.Count < 2; i++)
        {
            owners.Add(await OwnerAsync(amb));
        }

        Assert.Equal(["a|inventory", "b|inventory"], owners.Order(StringComparer.Ordinal));

        using var ready = await amb.AdminClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var cluster = await AdminClusterAsync(amb, "inventory");
        Assert.Equal("consul", cluster.GetProperty("source").GetString());
        Assert.Equal(stub.Index, cluster.GetProperty("discovery").GetProperty("index").GetInt64());
        Assert.Equal(JsonValueKind.Null, cluster.GetProperty("discovery").GetProperty("lastError").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, cluster.GetProperty("discovery").GetProperty("lastSuccess").ValueKind);
        Assert.Equal(
            new[] { Id(a), Id(b) }.Order(StringComparer.Ordinal),
            cluster.GetProperty("destinations").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task InstanceGoesCritical_LeavesRotationWithinOneSecond()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, b, stub) = registered;
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub));
        await WaitForHeldQueryAsync(stub);
        var idOfA = DestinationIds(amb).Single(id => id == Id(a));
        var stateOfA = amb.GetRequiredService<IProxyStateLookup>().TryGetCluster("inventory", out var cluster) ? cluster.Destinations[idOfA] : null;

        stub.SetInstances(new StubInstance(a.Port), new StubInstance(b.Port, Status: "critical"));
        var elapsed = await TimeUntilAsync(() => !DestinationIds(amb).Contains(Id(b)), TimeSpan.FromSeconds(5));
        output.WriteLine($"critical instance left rotation {elapsed.TotalMilliseconds:0.0} ms after Consul's answer");

        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"took {elapsed}");
        Assert.Equal([Id(a)], DestinationIds(amb));
        var before = b.Requests;
        for (var i = 0; i < 30; i++)
        {
            Assert.StartsWith("a|", await OwnerAsync(amb), StringComparison.Ordinal);
        }

        Assert.Equal(before, b.Requests);

        // The surviving instance kept its identity and its YARP state object (health, breaker survive).
        Assert.True(amb.GetRequiredService<IProxyStateLookup>().TryGetCluster("inventory", out var after));
        Assert.Same(stateOfA, after.Destinations[idOfA]);
    }

    [Fact]
    public async Task NewInstanceJoins_TakesTrafficQuickly()
    {
        await using var a = await TestUpstream.StartAsync("a");
        await using var c = await TestUpstream.StartAsync("c");
        using var stub = new ConsulStub();
        stub.SetInstances(new StubInstance(a.Port));
        await using var amb = await TestAmbassador.StartAsync(Settings(stub));
        await Poll.UntilAsync(() => DestinationIds(amb).Length == 1, Deadline, "the first instance is a destination");
        Assert.StartsWith("a|", await OwnerAsync(amb), StringComparison.Ordinal);
        await WaitForHeldQueryAsync(stub);

        var watch = Stopwatch.StartNew();
        stub.SetInstances(new StubInstance(a.Port), new StubInstance(c.Port));
        var destinationSet = await TimeUntilAsync(() => DestinationIds(amb).Contains(Id(c)), TimeSpan.FromSeconds(5));
        TimeSpan? firstTraffic = null;
        for (var i = 0; i < 200 && firstTraffic is null; i++)
        {
            if ((await OwnerAsync(amb)).StartsWith("c|", StringComparison.Ordinal))
            {
                firstTraffic = watch.Elapsed;
            }
        }

        output.WriteLine($"Consul change -> destination set: {destinationSet.TotalMilliseconds:0.0} ms; -> first request served by the new instance: {firstTraffic?.TotalMilliseconds:0.0} ms");
        Assert.NotNull(firstTraffic);
        Assert.True(firstTraffic < TimeSpan.FromSeconds(1), $"took {firstTraffic}");
    }

    [Fact]
    public async Task ConsulDown_TrafficContinuesToLastKnownInstancesAndProcessStaysHealthy()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, b, stub) = registered;
        var errors = new ConcurrentQueue<long>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Ambassador" && instrument.Name == "ambassador.discovery.errors")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cluster" && (string?)tag.Value == "outage")
                {
                    errors.Enqueue(value);
                }
            }
        });
        meter.Start();
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub, cluster: "outage"), "outage");
        await WaitForHeldQueryAsync(stub);

        stub.Stop();
        var watch = Stopwatch.StartNew();
        var served = 0;
        while (watch.Elapsed < OutageDuration)
        {
            var owner = await OwnerAsync(amb);
            Assert.True(owner.StartsWith("a|", StringComparison.Ordinal) || owner.StartsWith("b|", StringComparison.Ordinal), owner);
            served++;
            using var health = await amb.AdminClient.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            await Task.Delay(50); // pacing the client load, not synchronisation
        }

        output.WriteLine($"served {served} requests during a {OutageDuration.TotalSeconds:0} s Consul outage; {errors.Count} discovery errors counted");
        Assert.Equal(2, DestinationIds(amb, "outage").Length);
        Assert.True(a.Requests > 0 && b.Requests > 0);
        Assert.NotEmpty(errors);
        Assert.Single(amb.Logs.Lines, l => l.Contains("is failing", StringComparison.Ordinal));
        var clusters = await amb.AdminClient.GetStringAsync("/admin/clusters");
        Assert.Contains("Consul is unreachable", clusters, StringComparison.Ordinal);
        using var ready = await amb.AdminClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Metrics_RefreshesAndDestinationsGauge_LabelledByCluster()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, _, stub) = registered;
        var refreshes = 0L;
        var gauge = new ConcurrentQueue<long>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Ambassador" && instrument.Name.StartsWith("ambassador.discovery.", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var cluster = tags.ToArray().FirstOrDefault(t => t.Key == "cluster").Value as string;
            if (cluster != "metrics")
            {
                return;
            }

            if (instrument.Name == "ambassador.discovery.refreshes")
            {
                Interlocked.Add(ref refreshes, value);
            }
            else if (instrument.Name == "ambassador.discovery.destinations")
            {
                gauge.Enqueue(value);
            }
        });
        meter.Start();
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub, cluster: "metrics"), "metrics");

        Assert.True(Interlocked.Read(ref refreshes) >= 1);
        meter.RecordObservableInstruments();
        Assert.Equal(2, gauge.Last());

        stub.SetInstances(new StubInstance(a.Port));
        await Poll.UntilAsync(() => DestinationIds(amb, "metrics").Length == 1, Deadline, "one instance left");
        meter.RecordObservableInstruments();
        Assert.Equal(1, gauge.Last());
        Assert.True(Interlocked.Read(ref refreshes) >= 2);
    }

    [Fact]
    public async Task Token_SentToConsul_NeverInLogsOrAdminOutput()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a");
        var stub = registered.Stub;
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub));
        stub.Mode = StubMode.ServerError;
        stub.Wake();
        await Poll.UntilAsync(() => amb.Logs.Contains("is failing"), Deadline, "the failure is logged");

        Assert.All(stub.Requests, r => Assert.Equal(Token, r.Token));
        Assert.DoesNotContain(Token, amb.Logs.All, StringComparison.Ordinal);
        foreach (var path in new[] { "/admin/clusters", "/admin/config", "/readyz", "/healthz", "/metrics" })
        {
            using var response = await amb.AdminClient.GetAsync(path);
            Assert.DoesNotContain(Token, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task DcFilterPassingAndBlockingParameters_Sent()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a");
        var stub = registered.Stub;
        await using var amb = await TestAmbassador.StartAsync(Settings(stub));
        await WaitForHeldQueryAsync(stub);

        var requests = stub.Requests.ToArray();
        Assert.All(requests, r =>
        {
            Assert.Equal("/v1/health/service/inventory", r.Path);
            Assert.Equal("true", r.Query["passing"]);
            Assert.Equal("dc1", r.Query["dc"]);
            Assert.Equal("Service.Tags contains \"primary\"", r.Query["filter"]);
        });
        Assert.False(requests[0].Query.ContainsKey("index"));
        var held = requests.First(r => r.Query.ContainsKey("index"));
        Assert.Equal(stub.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), held.Query["index"]);
        Assert.Equal("30s", held.Query["wait"]);
    }

    [Fact]
    public async Task IndexGoesBackwards_ResetsAndReadsAfresh()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a");
        var stub = registered.Stub;
        stub.ForceIndex(100);
        await using var amb = await TestAmbassador.StartAsync(Settings(stub));
        await WaitForHeldQueryAsync(stub);
        var before = stub.Requests.Count;

        stub.ForceIndex(50);
        await Poll.UntilAsync(() => stub.Requests.Skip(before).Any(r => r.Query.GetValueOrDefault("index") == "50"), Deadline, "the query blocks on the new, lower index");

        var after = stub.Requests.Skip(before).Select(r => r.Query.GetValueOrDefault("index")).ToArray();
        Assert.Null(after[0]); // the reset read: no index, answered at once
        Assert.DoesNotContain("100", after);
    }

    [Fact]
    public async Task IndexZero_DoesNotSpin()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a");
        var stub = registered.Stub;
        stub.Mode = StubMode.ZeroIndex;
        await using var amb = await registered.StartAmbassadorAsync(Settings(stub));

        var start = stub.Requests.Count;
        var watch = Stopwatch.StartNew();
        await Poll.UntilAsync(() => watch.Elapsed >= TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), "two seconds pass");
        var count = stub.Requests.Count - start;

        output.WriteLine($"{count} Consul requests in 2 s with X-Consul-Index: 0");
        Assert.InRange(count, 1, 4);
        Assert.Equal(200, (int)(await amb.ProxyClient.GetAsync("/items")).StatusCode);
    }

    [Fact]
    public async Task EmptyServiceAddress_FallsBackToNodeAddress()
    {
        await using var a = await TestUpstream.StartAsync("a");
        using var stub = new ConsulStub();
        stub.SetInstances(new StubInstance(a.Port, ServiceAddress: "", NodeAddress: "127.0.0.1"));
        await using var amb = await TestAmbassador.StartAsync(Settings(stub));
        await Poll.UntilAsync(() => DestinationIds(amb).Length == 1, Deadline, "the instance is a destination");

        Assert.Equal([Id(a)], DestinationIds(amb));
        Assert.StartsWith("a|", await OwnerAsync(amb), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StubMode.Malformed, "not valid JSON")]
    [InlineData(StubMode.ServerError, "Consul answered 500")]
    [InlineData(StubMode.Oversized, "exceeds 1024 bytes")]
    [InlineData(StubMode.Slow, "did not answer within")]
    public async Task BadAnswer_KeepsLastGoodSet_ThenRecovers(StubMode mode, string error)
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, _, stub) = registered;
        var settings = Settings(stub);
        settings["Ambassador:Discovery:Consul:MaxResponseBytes"] = "1024";
        settings["Ambassador:Discovery:Consul:WaitTime"] = "00:00:01";
        await using var amb = await registered.StartAmbassadorAsync(settings);

        stub.Mode = mode;
        stub.Wake();
        await Poll.UntilAsync(async () => (await amb.AdminClient.GetStringAsync("/admin/clusters")).Contains(error, StringComparison.Ordinal), Deadline, $"'{error}' shows in /admin/clusters");

        Assert.Equal(2, DestinationIds(amb).Length);
        for (var i = 0; i < 10; i++)
        {
            await OwnerAsync(amb);
        }

        stub.Mode = StubMode.Normal;
        stub.SetInstances(new StubInstance(a.Port));
        await Poll.UntilAsync(() => DestinationIds(amb).Length == 1, Deadline, "a good answer applies again after back-off");
        Assert.Single(amb.Logs.Lines, l => l.Contains("is failing", StringComparison.Ordinal));
        Assert.Contains(amb.Logs.Lines, l => l.Contains("recovered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServiceWithNoInstances_Answers503NoHealthyDestination_WithoutDnsLookup()
    {
        const string service = "no-such-service-ambassador";
        using var dns = new DnsLookupListener();
        using var stub = new ConsulStub("inventory");
        await using var amb = await TestAmbassador.StartAsync(Settings(stub, cluster: "ghost", address: $"http://{service}:8080"));
        await Poll.UntilAsync(() => stub.Requests.Any(r => r.Path.EndsWith(service, StringComparison.Ordinal)), Deadline, "Consul was asked");

        using var response = await amb.ProxyClient.GetAsync("/items");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-healthy-destination", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(dns.Hosts, h => h.Contains(service, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task ConsulUnreachableFromStart_503AndUnreadyUntilFirstAnswer()
    {
        using var stub = new ConsulStub();
        stub.Stop();
        await using var amb = await TestAmbassador.StartAsync(Settings(stub));

        using var response = await amb.ProxyClient.GetAsync("/items");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-healthy-destination", response.Headers.GetValues("x-ambassador-error").Single());
        await Poll.UntilAsync(async () => (await (await amb.AdminClient.GetAsync("/readyz")).Content.ReadAsStringAsync()).Contains("Consul is unreachable", StringComparison.Ordinal), Deadline, "readyz names the reason");
        using var ready = await amb.AdminClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task NoConsulConfigured_StaticDestinationsWork()
    {
        await using var a = await TestUpstream.StartAsync("a");
        await using var amb = await TestAmbassador.StartAsync(Settings(stub: null, address: $"http://127.0.0.1:{a.Port}"));

        Assert.StartsWith("a|", await OwnerAsync(amb), StringComparison.Ordinal);
        Assert.Equal(["d1"], DestinationIds(amb));
        var cluster = await AdminClusterAsync(amb, "inventory");
        Assert.Equal("static", cluster.GetProperty("source").GetString());
        using var ready = await amb.AdminClient.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Reload_ConsulOptionsChanged_RestartsWatchKeepingDestinations()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a", "b");
        var (a, _, stub) = registered;
        var settings = Settings(stub);
        await using var amb = await registered.StartAmbassadorAsync(settings);
        await WaitForHeldQueryAsync(stub);
        settings["Ambassador:Discovery:Consul:Filter"] = "Service.Tags contains \"canary\"";
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(settings));
        await Poll.UntilAsync(() => stub.Requests.Any(r => r.Query.GetValueOrDefault("filter") == "Service.Tags contains \"canary\""), Deadline, "the new filter is sent");

        Assert.Equal(2, DestinationIds(amb).Length);
        stub.SetInstances(new StubInstance(a.Port));
        await Poll.UntilAsync(() => DestinationIds(amb).Length == 1, Deadline, "the restarted watch applies changes");
        Assert.Contains(amb.Logs.Lines, l => l.Contains("options changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_ServiceNoLongerNamed_StopsItsWatch()
    {
        await using var registered = await RegisteredUpstreams.StartAsync("a");
        var (a, stub) = registered;
        var settings = Settings(stub);
        await using var amb = await TestAmbassador.StartAsync(settings);
        await WaitForHeldQueryAsync(stub);

        settings["ReverseProxy:Clusters:inventory:Destinations:d1:Address"] = $"http://127.0.0.1:{a.Port}";
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(settings));
        await Poll.UntilAsync(() => DestinationIds(amb).SequenceEqual(["d1"]), Deadline, "the cluster is static");
        await Poll.UntilAsync(() => amb.Logs.Contains("inventory any more; their watches stopped"), Deadline, "the unused watch stops");

        var cluster = await AdminClusterAsync(amb, "inventory");
        Assert.Equal("static", cluster.GetProperty("source").GetString());
        Assert.StartsWith("a|127.0.0.1:", await OwnerAsync(amb), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidConsulOptions_ReportedWithFullKeys()
    {
        var settings = Settings(stub: null);
        settings["Ambassador:Discovery:Consul:Address"] = "consul:8500";
        settings["Ambassador:Discovery:Consul:WaitTime"] = "-00:00:01";

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestAmbassador.StartAsync(settings));

        Assert.Contains("Ambassador:Discovery:Consul:Address: 'consul:8500' is not an absolute http or https URL; use an absolute http or https URL such as http://127.0.0.1:8500", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Ambassador:Discovery:Consul:WaitTime: '-00:00:01' is out of range; use a TimeSpan greater than 00:00:00 and at most 00:10:00, e.g. 00:05:00", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// One or two upstreams (e.g. "a", "b") and a fresh Consul stub registering each as a passing instance, in that
    /// order. Declared before the ambassador, it is disposed after it: the stub first, then the upstreams in reverse.
    /// </summary>
    private sealed class RegisteredUpstreams : IAsyncDisposable
    {
        private readonly List<TestUpstream> _upstreams = [];

        public ConsulStub Stub { get; private set; } = null!;

        public static async Task<RegisteredUpstreams> StartAsync(params string[] names)
        {
            var registered = new RegisteredUpstreams();
            try
            {
                foreach (var name in names)
                {
                    registered._upstreams.Add(await TestUpstream.StartAsync(name));
                }

                registered.Stub = new ConsulStub();
                registered.Stub.SetInstances([.. registered._upstreams.Select(u => new StubInstance(u.Port))]);
                return registered;
            }
            catch
            {
                await registered.DisposeAsync();
                throw;
            }
        }

        /// <summary>Starts Ambassador and waits until every registered instance is a destination of <paramref name="cluster"/>.</summary>
        public async Task<TestAmbassador> StartAmbassadorAsync(Dictionary<string, string?> settings, string cluster = "inventory")
        {
            var amb = await TestAmbassador.StartAsync(settings);
            try
            {
                var count = _upstreams.Count;
                await Poll.UntilAsync(() => DestinationIds(amb, cluster).Length == count, Deadline, count == 1 ? "the instance is a destination" : "both instances are destinations");
                return amb;
            }
            catch
            {
                await amb.DisposeAsync();
                throw;
            }
        }

        public void Deconstruct(out TestUpstream a, out ConsulStub stub) => (a, stub) = (_upstreams.Single(), Stub);

        public void Deconstruct(out TestUpstream a, out TestUpstream b, out ConsulStub stub) => (a, b, stub) = (_upstreams[0], _upstreams[1], Stub);

        public async ValueTask DisposeAsync()
        {
            Stub?.Dispose();
            for (var i = _upstreams.Count - 1; i >= 0; i--)
            {
                await _upstreams[i].DisposeAsync();
            }
        }
    }

    /// <summary>Records every host name the process starts resolving (System.Net.NameResolution telemetry).</summary>
    private sealed class DnsLookupListener : EventListener
    {
        public ConcurrentBag<string> Hosts { get; } = [];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Net.NameResolution")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName == "ResolutionStart" && eventData.Payload is { Count: > 0 } payload)
            {
                Hosts.Add(payload[0]?.ToString() ?? string.Empty);
            }
        }
    }
}
