using System.Diagnostics;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.Server;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

[Collection(IsolatedTracingGroup.Name)]
public sealed class TracingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ProxiedRequest_WithTraceparent_ContinuesTraceWithServerSpanAndOneClientSpanPerAttempt()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        var route = UniqueId("trace");
        var cluster = UniqueId("cl");
        await using var amb = await TestAmbassador.StartAsync(Config(route, cluster, upstream.Url!), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        var (traceId, callerSpan, status) = await SendTracedAsync(http, "/api/items?x=1");
        Assert.Equal(200, status);

        var (server, clients) = await WaitForTreeAsync(spans, traceId, callerSpan, expectedClients: 1);

        Assert.Equal(ActivityKind.Server, server.Kind);
        Assert.Equal(route, server.GetTagItem("proxy.route_id"));
        Assert.Equal(cluster, server.GetTagItem("proxy.cluster_id"));
        Assert.Equal(1, server.GetTagItem("ambassador.attempt"));
        var client = Assert.Single(clients);
        Assert.Equal(ActivityKind.Client, client.Kind);
        Assert.Equal("d1", client.GetTagItem("proxy.destination_id"));
        Assert.Equal(1, client.GetTagItem("ambassador.attempt"));
        Assert.Null(client.GetTagItem("http.request.resend_count"));
        Assert.Equal(200, client.GetTagItem("http.response.status_code"));

        // Exactly one client span for the one attempt: YARP's forwarder activity is not exported beside it.
        Assert.DoesNotContain(spans.ForTrace(traceId), a => a.Source.Name.StartsWith("Yarp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProxiedRequest_ServerAndClientSpans_CarryHttpSemanticConventionTags()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("semconv"), UniqueId("cl"), upstream.Url!), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        var (traceId, callerSpan, status) = await SendTracedAsync(http, "/api/items/7");
        Assert.Equal(200, status);

        var (server, clients) = await WaitForTreeAsync(spans, traceId, callerSpan, expectedClients: 1);

        // The server span is named after the route template and carries the HTTP server attributes.
        Assert.Equal("GET /api/{**rest}", server.DisplayName);
        Assert.Equal("/api/{**rest}", server.GetTagItem("http.route"));
        Assert.Equal("GET", server.GetTagItem("http.request.method"));
        Assert.Equal("/api/items/7", server.GetTagItem("url.path"));
        Assert.Equal("http", server.GetTagItem("url.scheme"));
        Assert.Equal(200, server.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Unset, server.Status);
        var client = Assert.Single(clients);
        var upstreamUri = new Uri(upstream.Url!);
        Assert.Equal("GET", client.GetTagItem("http.request.method"));
        Assert.Equal(upstreamUri.Host, client.GetTagItem("server.address"));
        Assert.Equal(upstreamUri.Port, client.GetTagItem("server.port"));
        Assert.Equal($"{upstream.Url}/api/items/7", client.GetTagItem("url.full"));
        Assert.Equal(ActivityStatusCode.Unset, client.Status);
    }

    [Fact]
    public async Task UpstreamAnswers503_ServerAndClientSpansAreErrors()
    {
        using var failing = WireMockServer.Start();
        failing.Given(WireMock.RequestBuilders.Request.Create().UsingAnyMethod())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(503));
        var spans = new SpanCollection();
        var settings = Config(UniqueId("err503"), UniqueId("cl"), failing.Url!);
        settings["Ambassador:Policies:default:Retry:MaxRetries"] = "0";
        await using var amb = await TestAmbassador.StartAsync(settings, CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        var (traceId, callerSpan, status) = await SendTracedAsync(http, "/api/unavailable");
        Assert.Equal(503, status);

        var (server, clients) = await WaitForTreeAsync(spans, traceId, callerSpan, expectedClients: 1);
        Assert.Equal(ActivityStatusCode.Error, server.Status);
        Assert.Equal("503", server.GetTagItem("error.type"));
        var client = Assert.Single(clients);
        Assert.Equal(ActivityStatusCode.Error, client.Status);
        Assert.Equal("503", client.GetTagItem("error.type"));
        Assert.Equal(503, client.GetTagItem("http.response.status_code"));
    }

    [Fact]
    public async Task ProxiedRequest_WithTraceContextAndBaggage_UpstreamReceivesTraceparentOfClientSpanAndTracestateAndBaggage()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("prop"), UniqueId("cl"), upstream.Url!), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        var (traceId, callerSpan, status) = await SendTracedAsync(http, "/api/prop", ("tracestate", "vendor=abc"), ("baggage", "tenant=t1"));
        Assert.Equal(200, status);

        var (_, clients) = await WaitForTreeAsync(spans, traceId, callerSpan, expectedClients: 1);
        var client = Assert.Single(clients);
        var headers = Assert.Single(upstream.LogEntries).RequestMessage!.Headers!;
        var traceparent = Assert.Single(headers["traceparent"]);
        Assert.Equal($"00-{traceId.ToHexString()}-{client.SpanId.ToHexString()}-01", traceparent);
        Assert.Equal("vendor=abc", Assert.Single(headers["tracestate"]));
        // W3C baggage allows optional whitespace around '='; the entry must arrive once, not duplicated by two propagators.
        var baggage = string.Join(",", headers["baggage"]).Replace(" ", string.Empty, StringComparison.Ordinal);
        Assert.Equal("tenant=t1", baggage);
    }

    [Fact]
    public async Task ProxiedRequest_WithoutTraceparent_StartsNewTraceAndUpstreamReceivesIt()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        var route = UniqueId("root");
        await using var amb = await TestAmbassador.StartAsync(Config(route, UniqueId("cl"), upstream.Url!), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        using var response = await http.GetAsync("/api/root");
        Assert.Equal(200, (int)response.StatusCode);

        Activity? root = null;
        await Poll.UntilAsync(() => (root = spans.Snapshot().FirstOrDefault(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("proxy.route_id"), route))) is not null,
            Deadline, "the server span of the request is exported");
        Assert.Equal(default, root!.ParentSpanId);
        var (server, clients) = await WaitForTreeAsync(spans, root.TraceId, default, expectedClients: 1);
        Assert.Same(root, server);
        var traceparent = Assert.Single(Assert.Single(upstream.LogEntries).RequestMessage!.Headers!["traceparent"]);
        Assert.Equal($"00-{root.TraceId.ToHexString()}-{Assert.Single(clients).SpanId.ToHexString()}-01", traceparent);
    }

    [Fact]
    public async Task AdminEndpoints_AreNotTraced()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("adm"), UniqueId("cl"), upstream.Url!), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        using var admin = RawClient(amb.AdminAddress);
        var adminTrace = ActivityTraceId.CreateRandom();
        foreach (var path in new[] { "/healthz", "/readyz", "/metrics" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("traceparent", Traceparent(adminTrace, ActivitySpanId.CreateRandom()));
            using var response = await admin.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
        }

        // A proxied request afterwards: once its spans are exported, the admin requests' would have been too.
        var (proxyTrace, caller, status) = await SendTracedAsync(http, "/api/after");
        Assert.Equal(200, status);

        await WaitForTreeAsync(spans, proxyTrace, caller, expectedClients: 1);
        Assert.Empty(spans.ForTrace(adminTrace));
    }

    [Fact]
    public async Task SamplingRatioZero_RootRequestNotRecorded_ButSampledParentIsFollowedAndContextStillForwarded()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        var settings = Config(UniqueId("smp"), UniqueId("cl"), upstream.Url!);
        settings["Ambassador:Telemetry:SamplingRatio"] = "0";
        await using var amb = await TestAmbassador.StartAsync(settings, CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        // Not sampled by the caller: nothing recorded, but the upstream still gets the context (flag 00).
        var unsampled = ActivityTraceId.CreateRandom();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/unsampled"))
        {
            request.Headers.Add("traceparent", Traceparent(unsampled, ActivitySpanId.CreateRandom(), sampled: false));
            using var response = await http.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
        }

        var forwarded = Assert.Single(Assert.Single(upstream.LogEntries).RequestMessage!.Headers!["traceparent"]);
        Assert.StartsWith($"00-{unsampled.ToHexString()}-", forwarded, StringComparison.Ordinal);
        Assert.EndsWith("-00", forwarded, StringComparison.Ordinal);

        // Sampled by the caller: parent-based sampling records it although the root ratio is 0.
        var (sampled, caller, status) = await SendTracedAsync(http, "/api/sampled");
        Assert.Equal(200, status);

        await WaitForTreeAsync(spans, sampled, caller, expectedClients: 1);
        Assert.Empty(spans.ForTrace(unsampled));
    }

    [Fact]
    public async Task SamplingRatio_HotReload_AppliesToNewRootTraces()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        var route = UniqueId("resample");
        var settings = Config(route, UniqueId("cl"), upstream.Url!);
        settings["Ambassador:Telemetry:SamplingRatio"] = "0";
        await using var amb = await TestAmbassador.StartAsync(settings, CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);
        using (var before = await http.GetAsync("/api/before"))
        {
            Assert.Equal(200, (int)before.StatusCode);
        }

        settings["Ambassador:Telemetry:SamplingRatio"] = "1";
        await amb.RewriteConfigAsync(TestAmbassador.ToJson(settings));

        await Poll.UntilAsync(async () =>
        {
            using var response = await http.GetAsync("/api/after");
            return spans.Snapshot().Any(a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("proxy.route_id"), route));
        }, Deadline, "root requests are sampled after the ratio is reloaded to 1");
        Assert.DoesNotContain(spans.Snapshot(), a => a.Kind == ActivityKind.Server && Equals(a.GetTagItem("proxy.route_id"), route) && Equals(a.GetTagItem("url.path"), "/api/before"));
    }

    [Fact]
    public async Task UnreachableUpstream_ClientSpanIsErrorAndServerSpanCarriesReason()
    {
        var spans = new SpanCollection();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("err"), UniqueId("cl"), "http://127.0.0.1:1"), CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        var (traceId, caller, status) = await SendTracedAsync(http, "/api/down");
        Assert.Equal(502, status);

        // One client span per attempt (more than one once a retry policy applies), each an error.
        var (server, clients) = await WaitForTreeAsync(spans, traceId, caller, expectedClients: 1, exact: false);
        Assert.All(clients, c => Assert.Equal(ActivityStatusCode.Error, c.Status));
        Assert.Equal(clients.Count, server.GetTagItem("ambassador.attempt"));
        Assert.Equal("upstream-unavailable", server.GetTagItem("ambassador.error"));
    }

    [Fact]
    public async Task HttpClientCallOutsideProxiedRequest_IsNotTraced()
    {
        using var upstream = StartUpstream();
        var spans = new SpanCollection();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("bg"), UniqueId("cl"), upstream.Url!), CaptureSpans(spans));

        // Like discovery's long-polling: once with no context, once under a context inherited from elsewhere.
        using var background = new HttpClient();
        using (var root = await background.GetAsync(upstream.Url + "/background"))
        {
            Assert.Equal(200, (int)root.StatusCode);
        }

        var inherited = new Activity("inherited").SetIdFormat(ActivityIdFormat.W3C);
        inherited.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        inherited.Start();
        try
        {
            using var child = await background.GetAsync(upstream.Url + "/background");
            Assert.Equal(200, (int)child.StatusCode);
        }
        finally
        {
            inherited.Stop();
        }

        // A proxied request afterwards proves the exporter ran; neither background call produced a client span.
        ActivityTraceId traceId;
        ActivitySpanId caller;
        using (var http = RawClient(amb.ProxyAddress))
        {
            (traceId, caller, var status) = await SendTracedAsync(http, "/api/after");
            Assert.Equal(200, status);
        }

        await WaitForTreeAsync(spans, traceId, caller, expectedClients: 1);
        // (WireMock runs in this process, so its own server span of the call may show up; only client spans matter.)
        Assert.DoesNotContain(spans.ForTrace(inherited.TraceId), a => a.Kind == ActivityKind.Client);
        Assert.DoesNotContain(spans.Snapshot(), a => a.Kind == ActivityKind.Client && a.GetTagItem("url.full") is string url && url.EndsWith("/background", StringComparison.Ordinal));
    }

    /// <summary>
    /// N &gt; 1 attempts. Needs the resilience pipeline (retries) on main; enable when <c>UseAmbassadorResilience</c> has
    /// landed: a first destination answering 503 and a second answering 200 must give one server span with two client
    /// children, the second with <c>http.request.resend_count = 1</c>, and a <c>retry</c> span event on the server span.
    /// </summary>
    [Fact]
    public async Task RetriedRequest_HasOneClientSpanPerAttempt_WithResendCountAndDestination()
    {
        using var failing = WireMockServer.Start();
        failing.Given(WireMock.RequestBuilders.Request.Create().UsingAnyMethod())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(503));
        using var healthy = StartUpstream();
        var spans = new SpanCollection();
        var route = UniqueId("retry");
        var cluster = UniqueId("cl");
        var settings = Config(route, cluster, failing.Url!);
        settings[$"ReverseProxy:Clusters:{cluster}:Destinations:d2:Address"] = healthy.Url!;
        settings[$"ReverseProxy:Clusters:{cluster}:LoadBalancingPolicy"] = "RoundRobin";
        settings["Ambassador:Policies:default:Retry:MaxRetries"] = "2";
        await using var amb = await TestAmbassador.StartAsync(settings, CaptureSpans(spans));
        using var http = RawClient(amb.ProxyAddress);

        // Round robin starts each request on the next destination, so of four requests some start on the failing one
        // and are retried on the healthy one.
        var retried = 0;
        for (var i = 0; i < 4; i++)
        {
            var (traceId, caller, status) = await SendTracedAsync(http, "/api/retry");
            Assert.Equal(200, status);

            Activity? server = null;
            await Poll.UntilAsync(() => (server = spans.ForTrace(traceId).SingleOrDefault(a => a.Kind == ActivityKind.Server && a.ParentSpanId == caller)) is not null,
                Deadline, "the server span is exported");
            var clients = spans.ForTrace(traceId).Where(a => a.Kind == ActivityKind.Client && a.ParentSpanId == server!.SpanId).OrderBy(c => c.StartTimeUtc).ToList();
            Assert.Equal(clients.Count, server!.GetTagItem("ambassador.attempt"));
            if (clients.Count < 2)
            {
                continue;
            }

            retried++;
            Assert.Equal(2, clients.Count);
            Assert.Null(clients[0].GetTagItem("http.request.resend_count"));
            Assert.Equal(1, clients[0].GetTagItem("ambassador.attempt"));
            Assert.Equal(503, clients[0].GetTagItem("http.response.status_code"));
            Assert.Equal(1, clients[1].GetTagItem("http.request.resend_count"));
            Assert.Equal(2, clients[1].GetTagItem("ambassador.attempt"));
            Assert.Equal(200, clients[1].GetTagItem("http.response.status_code"));
            Assert.Equal("d1", clients[0].GetTagItem("proxy.destination_id"));
            Assert.Equal("d2", clients[1].GetTagItem("proxy.destination_id"));
            Assert.Contains(server.Events, e => e.Name == "retry");
        }

        Assert.True(retried > 0, "at least one request started on the failing destination and was retried");
    }

    /// <summary>
    /// Sends GET <paramref name="path"/> as the span of a caller in a fresh sampled trace (a <c>traceparent</c>, then
    /// <paramref name="headers"/>), and returns that trace, the caller's span and the status of the answer.
    /// </summary>
    private static async Task<(ActivityTraceId TraceId, ActivitySpanId Caller, int Status)> SendTracedAsync(
        HttpClient http, string path, params (string Name, string Value)[] headers)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var caller = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("traceparent", Traceparent(traceId, caller));
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await http.SendAsync(request);
        return (traceId, caller, (int)response.StatusCode);
    }

    /// <summary>Waits for the server span whose parent is the caller's span, and its <paramref name="expectedClients"/> client children.</summary>
    internal static async Task<(Activity Server, List<Activity> Clients)> WaitForTreeAsync(
        SpanCollection spans, ActivityTraceId traceId, ActivitySpanId callerSpan, int expectedClients, bool exact = true)
    {
        Activity? server = null;
        List<Activity> clients = [];
        await Poll.UntilAsync(() =>
        {
            var trace = spans.ForTrace(traceId);
            server = trace.SingleOrDefault(a => a.Kind == ActivityKind.Server && a.ParentSpanId == callerSpan);
            clients = server is null ? [] : trace.Where(a => a.Kind == ActivityKind.Client && a.ParentSpanId == server.SpanId).ToList();
            return server is not null && clients.Count >= expectedClients;
        }, Deadline, $"a server span continuing trace {traceId} with {expectedClients} client span(s) is exported");
        if (exact)
        {
            Assert.Equal(expectedClients, clients.Count);
        }

        return (server!, clients);
    }
}
