using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.Policies;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class CircuitBreakerTests : IDisposable
{
    private readonly WireMockServer _flaky = WireMockServer.Start();
    private readonly WireMockServer _healthy = WireMockServer.Start();

    public CircuitBreakerTests()
    {
        FailFlaky();
        _healthy.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
    }

    public void Dispose()
    {
        _flaky.Stop();
        _healthy.Stop();
    }

    [Fact]
    public async Task Breaker_FailingInstance_OpensStopsTrafficThenRecoversAfterBreakDuration()
    {
        // Retries off, so each request is one attempt and the failing instance's share is visible to the client.
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "CircuitBreaker": { "FailureRatio": 0.5, "MinimumThroughput": 4, "SamplingDuration": "00:00:30", "BreakDuration": "00:00:01.500" } }
            """;
        await using var amb = await TestAmbassador.StartAsync(Config([_flaky, _healthy], policy));
        var breakers = amb.GetRequiredService<IBreakerStateSource>();

        await Poll.UntilAsync(
            async () =>
            {
                using var response = await amb.ProxyClient.GetAsync("/x");
                return breakers.GetState("c", "d0") == BreakerState.Open;
            },
            TimeSpan.FromSeconds(10),
            "the failing instance's breaker opens");
        var opened = Stopwatch.StartNew();
        Assert.InRange(_flaky.Hits(), 4, 8);
        Assert.Equal("open", await DestinationBreakerAsync(amb, "d0"));
        Assert.Equal("closed", await DestinationBreakerAsync(amb, "d1"));

        // While open the instance gets nothing and every request succeeds on the other one.
        var hitsWhenOpened = _flaky.Hits();
        for (var i = 0; i < 10; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        if (opened.Elapsed < TimeSpan.FromSeconds(1.4))
        {
            Assert.Equal(hitsWhenOpened, _flaky.Hits());
        }

        // The instance recovers; after BreakDuration one probe succeeds and it is back in load balancing.
        _flaky.Reset();
        _flaky.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok again"));
        await Poll.UntilAsync(
            async () =>
            {
                using var response = await amb.ProxyClient.GetAsync("/x");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return breakers.GetState("c", "d0") == BreakerState.Closed;
            },
            TimeSpan.FromSeconds(10),
            "the recovered instance's breaker closes");
        Assert.True(opened.Elapsed >= TimeSpan.FromSeconds(1.4), $"closed after {opened.Elapsed.TotalMilliseconds:0} ms, before BreakDuration");
        Assert.True(_flaky.Hits() >= 1, "the recovered instance received the probe");

        var before = _flaky.Hits();
        for (var i = 0; i < 6; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
        }

        Assert.True(_flaky.Hits() > before, "the recovered instance is back in load balancing");
    }

    [Fact]
    public async Task Breaker_AllDestinationsOpen_CircuitOpenWithoutContactingUpstream()
    {
        const string policy = """
            { "Retry": { "MaxRetries": 0 },
              "CircuitBreaker": { "MinimumThroughput": 2, "BreakDuration": "00:00:30" } }
            """;
        await using var amb = await TestAmbassador.StartAsync(Config([_flaky], policy));

        for (var i = 0; i < 2; i++)
        {
            using var failing = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failing.StatusCode);
            Assert.False(failing.Headers.Contains("x-ambassador-error"));
        }

        var watch = Stopwatch.StartNew();
        using var response = await amb.ProxyClient.GetAsync("/x");
        watch.Stop();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("circuit-open", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, _flaky.Hits());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "circuit-open must answer at once");
    }

    [Fact]
    public async Task Breaker_OpenInstanceWithRetries_RetryGoesElsewhere()
    {
        const string policy = """
            { "Retry": { "BaseDelay": "00:00:00.001" },
              "CircuitBreaker": { "MinimumThroughput": 2, "BreakDuration": "00:00:30" } }
            """;
        await using var amb = await TestAmbassador.StartAsync(Config([_flaky, _healthy], policy));

        for (var i = 0; i < 20; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Two failures open the breaker; after that the instance is never picked again within BreakDuration.
        Assert.Equal(2, _flaky.Hits());
        Assert.Equal(20, _healthy.Hits());
    }

    private static async Task<string?> DestinationBreakerAsync(TestAmbassador amb, string destinationId)
    {
        using var document = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/clusters"));
        foreach (var destination in document.RootElement.GetProperty("clusters")[0].GetProperty("destinations").EnumerateArray())
        {
            if (destination.GetProperty("id").GetString() == destinationId)
            {
                return destination.GetProperty("breaker").GetString();
            }
        }

        return null;
    }

    private void FailFlaky()
        => _flaky.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503).WithBody("down"));
}
