using System.Net;
using System.Net.Sockets;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

public sealed class ConnectionLimitsTests
{
    [Fact]
    public async Task MaxConnections_Reached_NewConnectionWaitsForASlotAndAdminStillAnswers()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "Ambassador": { "Limits": { "MaxConnections": 2 } },
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{upstream.Address()}}" } } } }
              }
            }
            """);
        using var first = await ConnectAsync(amb.ProxyAddress);
        using var second = await ConnectAsync(amb.ProxyAddress);
        await Poll.UntilAsync(async () =>
        {
            // Both slots are taken once each connection answered a request.
            return (await ExchangeAsync(first)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
                && (await ExchangeAsync(second)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "two connections hold the two slots");

        using var third = await ConnectAsync(amb.ProxyAddress);
        var waiting = ExchangeAsync(third);
        await Poll.UntilAsync(() => amb.Logs.Contains("[1501]"), TimeSpan.FromSeconds(10), "the limit is reported");
        Assert.False(waiting.IsCompleted, "the third connection was served beyond the limit");

        using var health = await amb.AdminClient.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        first.Close();
        Assert.StartsWith("HTTP/1.1 200", await waiting.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    private static async Task<TcpClient> ConnectAsync(Uri address)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, address.Port);
        return client;
    }

    private static async Task<string> ExchangeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        await stream.WriteAsync("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
