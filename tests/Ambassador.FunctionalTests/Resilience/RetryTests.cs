using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class RetryTests : IDisposable
{
    private const string FastRetries = $$"""{ "Retry": { "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:00.010" }, {{NeverBreak}} }""";

    private readonly WireMockServer _failing = WireMockServer.Start();
    private readonly WireMockServer _healthy = WireMockServer.Start();

    public RetryTests()
    {
        _failing.Given(Request.Create().UsingAnyMethod())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("X-Upstream", "failing").WithBody("down"));
        _healthy.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
    }

    public void Dispose()
    {
        _failing.Stop();
        _healthy.Stop();
    }

    [Fact]
    public async Task Get_PoolWithOneFailingInstance_AllSucceed()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing, _healthy], FastRetries));

        for (var i = 0; i < 30; i++)
        {
            using var response = await amb.ProxyClient.GetAsync($"/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        // Round robin sends every other first attempt to the failing instance; its retry goes to the other one.
        Assert.InRange(_failing.Hits(), 1, 30);
        Assert.Equal(30, _healthy.Hits());
    }

    [Fact]
    public async Task Get_ConnectionResetByOneInstance_AllSucceed()
    {
        using var resetting = new ResettingUpstream();
        var config = WithDestination(Config([_healthy], FastRetries), "resetting", resetting.Url);
        await using var amb = await TestAmbassador.StartAsync(config);

        for (var i = 0; i < 20; i++)
        {
            using var response = await amb.ProxyClient.GetAsync($"/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.InRange(resetting.Hits, 1, 20);
        Assert.Equal(20, _healthy.Hits());
    }

    [Fact]
    public async Task Get_EmptyResponseFault_PassedThroughAsUpstreamAnswered()
    {
        // WireMock.Net's EMPTY_RESPONSE fault is a well-formed response with no body: an answer, not a failure.
        using var empty = WireMockServer.Start();
        empty.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503).WithFault(FaultType.EMPTY_RESPONSE));
        await using var amb = await TestAmbassador.StartAsync(Config([empty, _healthy], FastRetries));

        for (var i = 0; i < 10; i++)
        {
            using var response = await amb.ProxyClient.GetAsync($"/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.InRange(empty.Hits(), 1, 10);
    }

    [Fact]
    public async Task Get_ConnectFailure_RetriedOnAnotherInstance()
    {
        // A port nobody listens on: connection refused.
        using var closed = WireMockServer.Start();
        var deadUrl = closed.Url!;
        closed.Stop();
        var config = WithDestination(Config([_healthy], FastRetries), "dead", deadUrl);
        await using var amb = await TestAmbassador.StartAsync(config);

        for (var i = 0; i < 10; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(10, _healthy.Hits());
    }

    [Fact]
    public async Task Post_FailingUpstream_NotRetried()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));

        for (var i = 0; i < 5; i++)
        {
            using var response = await amb.ProxyClient.PostAsync("/orders", new StringContent("{\"n\":1}"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        Assert.Equal(5, _failing.Hits());

        // The same upstream with an idempotent method: 1 + MaxRetries (2) attempts each.
        using (var get = await amb.ProxyClient.GetAsync("/orders"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, get.StatusCode);
        }

        Assert.Equal(5 + 3, _failing.Hits());
    }

    [Fact]
    public async Task Post_RetryNonIdempotent_Retried()
    {
        var policy = $$"""{ "Retry": { "BaseDelay": "00:00:00.001", "RetryNonIdempotent": true }, {{NeverBreak}} }""";
        await using var amb = await TestAmbassador.StartAsync(Config([_failing, _healthy], policy));

        for (var i = 0; i < 6; i++)
        {
            using var response = await amb.ProxyClient.PostAsync("/orders", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(6, _healthy.Hits());
    }

    [Fact]
    public async Task LastAttempt_UpstreamResponse_PassedThroughUnchanged()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));

        using var response = await amb.ProxyClient.GetAsync("/x");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("down", await response.Content.ReadAsStringAsync());
        Assert.Equal("failing", response.Headers.GetValues("X-Upstream").Single());
        Assert.False(response.Headers.Contains("x-ambassador-error"));
        Assert.Equal(3, _failing.Hits());
    }

    [Fact]
    public async Task OptOutHeader_Off_NotRetriedAndNotForwarded()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Add("x-ambassador-retry", "off");
        using var response = await amb.ProxyClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, _failing.Hits());
        Assert.DoesNotContain(_failing.LogEntries, e => e.RequestMessage.Headers!.ContainsKey("x-ambassador-retry"));

        using var retried = await amb.ProxyClient.GetAsync("/x");
        Assert.Equal(1 + 3, _failing.Hits());
    }

    [Fact]
    public async Task Body_10KiB_ReplayedByteIdentical()
    {
        using var flaky = WireMockServer.Start();
        flaky.Given(Request.Create().UsingPut()).InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(503));
        flaky.Given(Request.Create().UsingPut()).InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("stored"));
        await using var amb = await TestAmbassador.StartAsync(Config([flaky], FastRetries));
        var body = new byte[10 * 1024];
        new Random(42).NextBytes(body);

        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await amb.ProxyClient.PutAsync("/blob", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stored", await response.Content.ReadAsStringAsync());
        var entries = flaky.LogEntries.ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(body, entries[0].RequestMessage.BodyAsBytes);
        Assert.Equal(body, entries[1].RequestMessage.BodyAsBytes);
    }

    [Fact]
    public async Task Body_100KiB_SentOnceNotRetried()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));
        var body = new byte[100 * 1024];
        new Random(7).NextBytes(body);

        using var response = await amb.ProxyClient.PutAsync("/blob", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var entry = Assert.Single(_failing.LogEntries);
        Assert.Equal(body, entry.RequestMessage.BodyAsBytes);
    }

    [Fact]
    public async Task Body_Chunked_SentOnceNotRetried()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], FastRetries));

        // A stream of unknown length goes out with Transfer-Encoding: chunked.
        using var content = new StreamContent(new NonSeekableStream(new byte[2048]));
        using var request = new HttpRequestMessage(HttpMethod.Put, "/blob") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await amb.ProxyClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(_failing.LogEntries);
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterWithinMaxDelay_HonoredThenRetried()
    {
        using var limited = WireMockServer.Start();
        limited.Given(Request.Create().UsingGet()).InScenario("limit").WillSetStateTo("open")
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "1"));
        limited.Given(Request.Create().UsingGet()).InScenario("limit").WhenStateIs("open")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        var policy = $$"""{ "Retry": { "BaseDelay": "00:00:00.001", "MaxDelay": "00:00:02" }, {{NeverBreak}} }""";
        await using var amb = await TestAmbassador.StartAsync(Config([limited], policy));

        var watch = Stopwatch.StartNew();
        using var response = await amb.ProxyClient.GetAsync("/x");
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, limited.Hits());
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"Retry-After: 1 was not honored ({watch.Elapsed.TotalMilliseconds:0} ms)");
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterBeyondMaxDelay_PassedThrough()
    {
        using var limited = WireMockServer.Start();
        limited.Given(Request.Create().UsingGet())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "30").WithBody("slow down"));
        await using var amb = await TestAmbassador.StartAsync(Config([limited], FastRetries));

        using var response = await amb.ProxyClient.GetAsync("/x");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("slow down", await response.Content.ReadAsStringAsync());
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        Assert.Equal(1, limited.Hits());
    }

    [Fact]
    public async Task Policy_HotReload_MaxRetriesApplied()
    {
        var noRetries = $$"""{ "Retry": { "MaxRetries": 0 }, {{NeverBreak}} }""";
        await using var amb = await TestAmbassador.StartAsync(Config([_failing], noRetries));
        using (var first = await amb.ProxyClient.GetAsync("/x"))
        {
            Assert.Equal(1, _failing.Hits());
        }

        await amb.RewriteConfigAsync(Config([_failing], $$"""{ "Retry": { "MaxRetries": 1, "BaseDelay": "00:00:00.001" }, {{NeverBreak}} }"""));

        await Poll.UntilAsync(
            async () =>
            {
                var before = _failing.Hits();
                using var response = await amb.ProxyClient.GetAsync("/x");
                return _failing.Hits() - before == 2;
            },
            TimeSpan.FromSeconds(10),
            "the reloaded policy retries once");
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
