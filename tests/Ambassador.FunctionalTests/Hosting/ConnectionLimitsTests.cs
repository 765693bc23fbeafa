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
    public async Task MaxConnections_Reached_NewConnectionIsRefusedAndAdminStillAnswers()
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
        Assert.Equal("", await ExchangeOrClosedAsync(third));
        Assert.Single(amb.Logs.Lines, l => l.Contains("[1501]", StringComparison.Ordinal) && l.StartsWith("Warning ", StringComparison.Ordinal));

        using var health = await amb.AdminClient.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        first.Close();
        await Poll.UntilAsync(async () =>
        {
            using var next = await ConnectAsync(amb.ProxyAddress);
            return (await ExchangeOrClosedAsync(next)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "a slot frees when a connection closes");
    }

    /// <summary>The answer, or "" when the proxy closed the connection instead.</summary>
    private static async Task<string> ExchangeOrClosedAsync(TcpClient client)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await ExchangeAsync(client).WaitAsync(cts.Token);
        }
        catch (IOException)
        {
            return "";
        }
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
