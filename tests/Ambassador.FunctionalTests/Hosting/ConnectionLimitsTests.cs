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
    public async Task MaxConnections_Reached_NewConnectionWaitsUntilOneClosesAndAdminStillAnswers()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        await using var amb = await TestAmbassador.StartAsync(Config(upstream.Address(), maxConnections: 2));
        using var first = await ConnectAsync(amb.ProxyAddress);
        using var second = await ConnectAsync(amb.ProxyAddress);
        await Poll.UntilAsync(async () =>
        {
            // Both slots are taken once each connection answered a request.
            return (await ExchangeAsync(first)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
                && (await ExchangeAsync(second)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "two connections hold the two slots");
        await Poll.UntilAsync(() => amb.Logs.Contains("[1501]"), TimeSpan.FromSeconds(10), "the accept loop stops at the limit");

        // The third connection completes its TCP handshake (the kernel's backlog holds it) but is not accepted, so its
        // request is not read: no answer while the two slots stay taken, and no close for the client to retry in a loop.
        using var third = await ConnectAsync(amb.ProxyAddress);
        var thirdAnswer = ExchangeOrClosedAsync(third);
        using (var health = await amb.AdminClient.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        // A bounded look for an answer that must not come (the positive case below has its own deadline).
        Assert.NotSame(thirdAnswer, await Task.WhenAny(thirdAnswer, Task.Delay(TimeSpan.FromMilliseconds(500))));
        Assert.Single(amb.Logs.Lines, l => l.Contains("[1501]", StringComparison.Ordinal) && l.StartsWith("Warning ", StringComparison.Ordinal));

        first.Close();
        Assert.StartsWith("HTTP/1.1 200", await thirdAnswer.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxConnections_ManyMoreClientsThanSlots_EveryClientIsServedInTurn()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        await using var amb = await TestAmbassador.StartAsync(Config(upstream.Address(), maxConnections: 4));

        // 40 clients at once against 4 slots: each waits in the backlog for its turn, one request, then closes.
        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var client = await ConnectAsync(amb.ProxyAddress);
            var stream = client.GetStream();
            await stream.WriteAsync("GET /api/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8.ToArray());
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadToEndAsync();
        })).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(answers, a => Assert.StartsWith("HTTP/1.1 200", a, StringComparison.Ordinal));
        Assert.Equal(40, upstream.LogEntries.Count());
    }

    [Fact]
    public async Task MaxConnections_UnixSocketAndTcp_ShareOneBudget()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        var socket = Path.Combine(Path.GetTempPath(), "amb-" + Guid.NewGuid().ToString("N")[..8] + ".sock");
        await using var amb = await TestAmbassador.StartAsync(Config(upstream.Address(), maxConnections: 2,
            listeners: $$""", "Listeners": { "ProxyUnixSocket": "{{socket}}" }"""));
        var unixA = await ConnectUnixAsync(socket);
        using var unixB = await ConnectUnixAsync(socket);
        await Poll.UntilAsync(async () =>
        {
            return (await ExchangeAsync(unixA)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal)
                && (await ExchangeAsync(unixB)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "two Unix-socket connections hold the two slots");

        // The TCP proxy listener counts the Unix socket's connections: its connection is not served while they hold the
        // slots, and is served once one of them closes.
        using var tcp = await ConnectAsync(amb.ProxyAddress);
        var tcpAnswer = ExchangeOrClosedAsync(tcp.GetStream());
        // A bounded look for an answer that must not come (the positive case has its own deadline).
        Assert.NotSame(tcpAnswer, await Task.WhenAny(tcpAnswer, Task.Delay(TimeSpan.FromMilliseconds(500))));
        await unixA.DisposeAsync();
        Assert.StartsWith("HTTP/1.1 200", await tcpAnswer.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);

        // And the other way round: with the TCP connection and one Unix connection holding the slots, a new Unix one waits.
        using var unixC = await ConnectUnixAsync(socket);
        var unixAnswer = ExchangeOrClosedAsync(unixC);
        Assert.NotSame(unixAnswer, await Task.WhenAny(unixAnswer, Task.Delay(TimeSpan.FromMilliseconds(500))));
        tcp.Close();
        Assert.StartsWith("HTTP/1.1 200", await unixAnswer.WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    private static string Config(string upstream, int maxConnections, string listeners = "") => $$"""
        {
          "Ambassador": { "Limits": { "MaxConnections": {{maxConnections}} }{{listeners}} },
          "ReverseProxy": {
            "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
            "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{upstream}}" } } } }
          }
        }
        """;

    private static Task<string> ExchangeOrClosedAsync(TcpClient client) => ExchangeOrClosedAsync(client.GetStream());

    /// <summary>The answer, or "" when the proxy closed the connection instead.</summary>
    private static async Task<string> ExchangeOrClosedAsync(Stream stream)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await ExchangeAsync(stream).WaitAsync(cts.Token);
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

    private static async Task<NetworkStream> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task<string> ExchangeAsync(TcpClient client) => ExchangeAsync(client.GetStream());

    private static async Task<string> ExchangeAsync(Stream stream)
    {
        await stream.WriteAsync("GET /api/x HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }
}
