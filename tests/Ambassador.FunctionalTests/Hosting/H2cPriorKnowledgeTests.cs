using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>The protocol look on the proxy listener has a deadline and treats probes as ordinary.</summary>
public sealed class H2cPriorKnowledgeTests : IAsyncLifetime
{
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(1);
    private WireMockServer _upstream = null!;
    private TestAmbassador _amb = null!;

    public async Task InitializeAsync()
    {
        _upstream = Upstreams.StartWireMock();
        _upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        _amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": { "d1": { "Address": "{{_upstream.Address()}}" } } } }
              }
            }
            """, builder =>
        {
            builder.WebHost.ConfigureKestrel(k => k.Limits.RequestHeadersTimeout = HeadersTimeout);
            builder.Logging.AddFilter("Ambassador.Hosting.H2cPriorKnowledge", LogLevel.Debug);
        });
    }

    public async Task DisposeAsync()
    {
        await _amb.DisposeAsync();
        _upstream.Dispose();
    }

    [Theory]
    [InlineData("")]
    [InlineData("PRI * HTTP/2.0\r\n")]
    [InlineData("P")]
    public async Task StalledBeforeDecision_IsClosedWithinRequestHeadersTimeout(string sent)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _amb.ProxyAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sent));
        var watch = Stopwatch.StartNew();

        var closed = await ReadUntilClosedAsync(stream, TimeSpan.FromSeconds(10));

        Assert.True(closed, "the stalled connection is still open after 10 s");
        // The deadline plus scheduling slack on a busy two-core machine; without a deadline it stays open.
        Assert.InRange(watch.Elapsed, HeadersTimeout - TimeSpan.FromMilliseconds(200), HeadersTimeout + TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(_amb.Logs.Lines, IsWarningOrAbove);
    }

    [Fact]
    public async Task ConnectAndCloseProbes_LogNothingAtWarningOrAbove_AndTheListenerKeepsServing()
    {
        const int probes = 50;
        for (var i = 0; i < probes; i++)
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, _amb.ProxyAddress.Port);
            if (i % 2 == 1)
            {
                client.LingerState = new LingerOption(true, 0); // close with a reset, as some probes do
            }

            client.Close();
        }

        await Poll.UntilAsync(
            () => _amb.Logs.Lines.Count(l => l.Contains("[1301]", StringComparison.Ordinal)) == probes,
            TimeSpan.FromSeconds(15), $"the proxy saw {probes} probes close (debug lines)");
        Assert.DoesNotContain(_amb.Logs.Lines, IsWarningOrAbove);

        using var http11 = await _amb.ProxyClient.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, http11.StatusCode);
        Assert.Equal(HttpVersion.Version11, http11.Version);
        using var h2c = new HttpClient { BaseAddress = _amb.ProxyAddress, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var http2 = await h2c.GetAsync("/api/x");
        Assert.Equal(HttpStatusCode.OK, http2.StatusCode);
        Assert.Equal(HttpVersion.Version20, http2.Version);
        Assert.Equal("ok", await http2.Content.ReadAsStringAsync());
    }

    private static bool IsWarningOrAbove(string line) =>
        line.StartsWith("Warning ", StringComparison.Ordinal) || line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal);

    private static async Task<bool> ReadUntilClosedAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true; // closed with a reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
