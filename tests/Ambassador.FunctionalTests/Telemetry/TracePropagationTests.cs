using Ambassador.FunctionalTests.Infrastructure;
using static Ambassador.FunctionalTests.Telemetry.TelemetryTestSupport;

namespace Ambassador.FunctionalTests.Telemetry;

/// <summary>
/// Without a trace exporter no span is made, yet the upstream still receives a valid W3C trace context. Run with the
/// other tracing tests, alone: another host's activity listener (sampling 1) would make activities here too.
/// </summary>
[Collection(IsolatedTracingGroup.Name)]
public sealed class TracePropagationTests
{
    [Fact]
    public async Task NoExporter_RequestWithoutTraceparent_UpstreamReceivesValidUnsampledTraceparent()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("prop"), UniqueId("cl"), upstream.Url!));
        using var http = RawClient(amb.ProxyAddress);

        using var first = await http.GetAsync("/api/one");
        using var second = await http.GetAsync("/api/two");

        Assert.Equal(200, (int)first.StatusCode);
        Assert.Equal(200, (int)second.StatusCode);
        var forwarded = upstream.LogEntries.Select(e => Assert.Single(e.RequestMessage!.Headers!["traceparent"])).ToList();
        Assert.Equal(2, forwarded.Count);
        Assert.All(forwarded, traceparent =>
        {
            Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-00$", traceparent);
            Assert.NotEqual(new string('0', 32), traceparent[3..35]);
            Assert.NotEqual(new string('0', 16), traceparent[36..52]);
        });
        Assert.NotEqual(forwarded[0][3..35], forwarded[1][3..35]);
    }

    [Fact]
    public async Task NoExporter_RequestWithTraceparent_UpstreamReceivesItUnchanged()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("prop"), UniqueId("cl"), upstream.Url!));
        using var http = RawClient(amb.ProxyAddress);
        const string Caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/caller");
        request.Headers.Add("traceparent", Caller);

        using var response = await http.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(Caller, Assert.Single(Assert.Single(upstream.LogEntries).RequestMessage!.Headers!["traceparent"]));
    }

    [Fact]
    public async Task NoExporter_RequestWithInvalidTraceparent_UpstreamReceivesAValidOne()
    {
        using var upstream = StartUpstream();
        await using var amb = await TestAmbassador.StartAsync(Config(UniqueId("prop"), UniqueId("cl"), upstream.Url!));
        using var http = RawClient(amb.ProxyAddress);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/invalid");
        request.Headers.TryAddWithoutValidation("traceparent", "00-not-a-trace-01");

        using var response = await http.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-00$", Assert.Single(Assert.Single(upstream.LogEntries).RequestMessage!.Headers!["traceparent"]));
    }
}
