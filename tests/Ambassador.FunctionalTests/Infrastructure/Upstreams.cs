using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.Server;
using WireMock.Settings;

namespace Ambassador.FunctionalTests.Infrastructure;

/// <summary>Real upstream servers on loopback: WireMock.Net, or a small Kestrel app where WireMock cannot (h2c, WebSockets).</summary>
public static class Upstreams
{
    public static WireMockServer StartWireMock() =>
        WireMockServer.Start(new WireMockServerSettings { StartAdminInterface = false, Logger = new WireMock.Logging.WireMockNullLogger() });

    /// <summary>The upstream's address as a YARP destination (<c>http://127.0.0.1:port/</c>).</summary>
    public static string Address(this WireMockServer server) => $"http://127.0.0.1:{server.Port}/";

    /// <summary>Starts a Kestrel app on 127.0.0.1:0 and returns it with its address.</summary>
    public static async Task<(WebApplication App, string Address)> StartKestrelAsync(Action<WebApplication> map, HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, o => o.Protocols = protocols));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, address.TrimEnd('/') + "/");
    }

    /// <summary>
    /// A Kestrel upstream whose <c>GET /slow</c> answers <c>finished</c> after <paramref name="delay"/>; <c>Arrived</c>
    /// completes when a request reached it, so a test can stop the proxy while that request is in flight.
    /// </summary>
    public static async Task<(WebApplication App, string Address, Task Arrived)> StartSlowAsync(TimeSpan delay)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (app, address) = await StartKestrelAsync(app => app.MapGet("/slow", (RequestDelegate)(async ctx =>
        {
            arrived.TrySetResult();
            await Task.Delay(delay);
            await ctx.Response.WriteAsync("finished");
        })));
        return (app, address, arrived.Task);
    }
}
