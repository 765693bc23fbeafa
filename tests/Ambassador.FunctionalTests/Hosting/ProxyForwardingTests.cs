using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

public sealed class ProxyForwardingTests
{
    private static string OneRoute(string path, string cluster, string destinations, string transforms = "", string clusterExtra = "") => $$"""
        {
          "ReverseProxy": {
            "Routes": { "r1": { "ClusterId": "{{cluster}}", "Match": { "Path": "{{path}}" } {{transforms}} } },
            "Clusters": { "{{cluster}}": { {{clusterExtra}} "Destinations": { {{destinations}} } } }
          }
        }
        """;

    [Fact]
    public async Task Route_WithPathRemovePrefix_ForwardsStrippedPathAndQuery()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().WithPath("/items/42").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("item 42"));
        await using var amb = await TestAmbassador.StartAsync(OneRoute("/inventory/{**rest}", "inventory",
            $$"""  "d1": { "Address": "{{upstream.Address()}}" } """,
            """, "Transforms": [ { "PathRemovePrefix": "/inventory" } ] """));

        var response = await amb.ProxyClient.GetAsync("/inventory/items/42?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("item 42", await response.Content.ReadAsStringAsync());
        var entry = Assert.Single(upstream.LogEntries);
        Assert.Equal("/items/42", entry.RequestMessage.Path);
        Assert.Equal("1", entry.RequestMessage.Query!["x"].Single());
        Assert.True(entry.RequestMessage.Headers!.ContainsKey("X-Forwarded-For"), "YARP's default X-Forwarded-* headers are added");
    }

    [Fact]
    public async Task Route_WithTheNoOpAspNetIntegrationValues_Forwards_AndNoAuthorizationStepRuns()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "r1": { "ClusterId": "c", "AuthorizationPolicy": "Anonymous", "RateLimiterPolicy": "Disable",
                                    "TimeoutPolicy": "Disable", "Match": { "Path": "/{**all}" } } },
                "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{upstream.Address()}}" } } } }
              }
            }
            """);

        var response = await amb.ProxyClient.GetAsync("/x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());

        // WebApplication adds the authorization middleware in front of every request when this service exists.
        Assert.Null(amb.Services.GetService<Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider>());
    }

    [Fact]
    public async Task Cluster_WithTwoStaticDestinations_RoundRobins()
    {
        using var a = Upstreams.StartWireMock();
        using var b = Upstreams.StartWireMock();
        a.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithBody("a"));
        b.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithBody("b"));
        await using var amb = await TestAmbassador.StartAsync(OneRoute("/{**all}", "pool",
            $$""" "a": { "Address": "{{a.Address()}}" }, "b": { "Address": "{{b.Address()}}" } """,
            clusterExtra: """ "LoadBalancingPolicy": "RoundRobin", """));

        var bodies = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            bodies.Add(await amb.ProxyClient.GetStringAsync("/x"));
        }

        Assert.Equal(5, bodies.Count(x => x == "a"));
        Assert.Equal(5, bodies.Count(x => x == "b"));
        Assert.Equal(5, a.LogEntries.Count());
        Assert.Equal(5, b.LogEntries.Count());
    }

    [Fact]
    public async Task H2cPriorKnowledge_FromApp_IsProxiedOverHttp2ToHttp2Upstream()
    {
        var (upstream, address) = await Upstreams.StartKestrelAsync(
            app => app.MapGet("/proto", (RequestDelegate)(ctx => ctx.Response.WriteAsync(ctx.Request.Protocol))),
            HttpProtocols.Http2);
        await using var _ = upstream;
        await using var amb = await TestAmbassador.StartAsync(OneRoute("/{**all}", "grpc",
            $$""" "d1": { "Address": "{{address}}" } """,
            clusterExtra: """ "HttpRequest": { "Version": "2", "VersionPolicy": "RequestVersionExact" }, """));
        using var client = new HttpClient
        {
            BaseAddress = amb.ProxyAddress,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.GetAsync("/proto");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", await response.Content.ReadAsStringAsync());

        // The same listener still speaks HTTP/1.1 to clients that do not know HTTP/2.
        using var http11 = await amb.ProxyClient.GetAsync("/proto");
        Assert.Equal(HttpVersion.Version11, http11.Version);
        Assert.Equal("HTTP/2", await http11.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task WebSocket_ThroughProxy_EchoesMessages()
    {
        var (upstream, address) = await Upstreams.StartKestrelAsync(app =>
        {
            app.UseWebSockets();
            app.Map("/ws", (RequestDelegate)(async ctx =>
            {
                using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
                var buffer = new byte[1024];
                while (true)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    await socket.SendAsync(buffer.AsMemory(0, result.Count), WebSocketMessageType.Text, true, CancellationToken.None);
                }
            }));
        }, HttpProtocols.Http1);
        await using var _ = upstream;
        await using var amb = await TestAmbassador.StartAsync(OneRoute("/{**all}", "ws", $$""" "d1": { "Address": "{{address}}" } """));
        using var client = new ClientWebSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{amb.ProxyAddress.Port}/ws"), cts.Token);
        await client.SendAsync(Encoding.UTF8.GetBytes("hello through ambassador"), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[1024];
        var received = await client.ReceiveAsync(buffer, cts.Token);

        Assert.Equal("hello through ambassador", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
    }

    [Fact]
    public async Task HopByHopHeaders_AreNotForwarded()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200));
        await using var amb = await TestAmbassador.StartAsync(OneRoute("/{**all}", "c", $$""" "d1": { "Address": "{{upstream.Address()}}" } """));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.TryAddWithoutValidation("Proxy-Connection", "keep-alive");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("X-App", "kept");

        using var response = await amb.ProxyClient.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = Assert.Single(upstream.LogEntries).RequestMessage.Headers!;
        Assert.False(headers.ContainsKey("Keep-Alive"));
        Assert.False(headers.ContainsKey("Proxy-Connection"));
        Assert.Equal("kept", headers["X-App"].Single());
    }
}
