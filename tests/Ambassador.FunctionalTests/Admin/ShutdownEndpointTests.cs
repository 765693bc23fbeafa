using System.Net;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.Admin;

/// <summary><c>POST /admin/shutdown</c>: off by default; when on, the same graceful stop as SIGTERM, exit 0.</summary>
public sealed class ShutdownEndpointTests
{
    [Fact]
    public async Task Shutdown_Disabled_Answers404AndKeepsRunning()
    {
        await using var amb = await TestAmbassador.StartAsync("""{ "ReverseProxy": { "Routes": {}, "Clusters": {} } }""");

        using var response = await amb.AdminClient.PostAsync("/admin/shutdown", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await amb.AdminClient.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Shutdown_OnProxyListener_IsNotServed()
    {
        await using var amb = await TestAmbassador.StartAsync("""{ "Ambassador": { "Admin": { "ShutdownEnabled": true } }, "ReverseProxy": { "Routes": {}, "Clusters": {} } }""");

        using var response = await amb.ProxyClient.PostAsync("/admin/shutdown", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no-route", response.Headers.GetValues("x-ambassador-error").Single());
        Assert.Equal(HttpStatusCode.OK, (await amb.AdminClient.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Shutdown_Enabled_DrainsInFlightRequestAndExits0()
    {
        var (upstream, address, arrived) = await Upstreams.StartSlowAsync(TimeSpan.FromSeconds(2));
        await using var _ = upstream;
        await using var amb = await AmbassadorProcess.StartServingAsync($$"""
            {
              "Ambassador": { "Admin": { "ShutdownEnabled": true }, "Lifecycle": { "DrainTimeout": "00:00:10" } },
              "ReverseProxy": {
                "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
                "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{address}}" } } } }
              }
            }
            """);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var inFlight = client.GetAsync(new Uri(amb.ProxyAddress!, "/slow"));
        await arrived.WaitAsync(TimeSpan.FromSeconds(10));

        using var shutdown = await client.PostAsync(new Uri(amb.AdminAddress!, "/admin/shutdown"), null);

        Assert.Equal(HttpStatusCode.Accepted, shutdown.StatusCode);
        Assert.Equal("""{"status":"shutting down: draining in-flight requests"}""", await shutdown.Content.ReadAsStringAsync());
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("finished", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await amb.WaitForExitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("Shutdown requested by POST /admin/shutdown from 127.0.0.1; stopping as on SIGTERM", amb.Stdout, StringComparison.Ordinal);
    }
}
