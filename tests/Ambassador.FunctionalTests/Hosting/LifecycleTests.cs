using System.Diagnostics;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>Runs the real executable: SIGTERM stops accepting at once, drains in-flight requests, exits 0.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Sigterm_InFlightRequestCompletes_NewConnectionsRefused_ExitCode0()
    {
        var (upstream, address, arrived) = await Upstreams.StartSlowAsync(TimeSpan.FromSeconds(4));
        await using var _ = upstream;
        await using var amb = await AmbassadorProcess.StartServingAsync($$"""
            {
              "Ambassador": { "Lifecycle": { "DrainTimeout": "00:00:10" } },
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
                "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{address}}" } } } }
              }
            }
            """);
        using var client = new HttpClient { BaseAddress = amb.ProxyAddress, Timeout = TimeSpan.FromSeconds(30) };

        var inFlight = client.GetAsync("/slow");
        await arrived.WaitAsync(TimeSpan.FromSeconds(10));
        var signalled = Stopwatch.StartNew();
        amb.Signal("TERM");

        await Poll.UntilAsync(() => !amb.ProxyAcceptsConnections(), TimeSpan.FromSeconds(3), "the listener stops accepting right after SIGTERM");
        Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(3.9), "new connections were refused before the in-flight request finished");
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("finished", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await amb.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task Sigterm_WithPreStopDelay_KeepsAcceptingButReportsUnready_ThenExits0()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(WireMock.RequestBuilders.Request.Create()).RespondWith(WireMock.ResponseBuilders.Response.Create().WithBody("ok"));
        await using var amb = await AmbassadorProcess.StartServingAsync($$"""
            {
              "Ambassador": { "Lifecycle": { "PreStopDelay": "00:00:04", "DrainTimeout": "00:00:05" } },
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
                "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{upstream.Address()}}" } } } }
              }
            }
            """);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(amb.AdminAddress!, "/readyz"))).StatusCode);

        var signalled = Stopwatch.StartNew();
        amb.Signal("TERM");

        await Poll.UntilAsync(async () => (await client.GetAsync(new Uri(amb.AdminAddress!, "/readyz"))).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(3), "readyz reports unready while the pre-stop delay runs");
        using var during = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(5) };
        var response = await during.GetAsync(new Uri(amb.ProxyAddress!, "/x"));
        Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(4), "the check ran inside the pre-stop delay");
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await amb.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(signalled.Elapsed >= TimeSpan.FromSeconds(4), "the process waited for the pre-stop delay before stopping");
    }
}
