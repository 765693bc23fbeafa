using System.Net;
using System.Net.Sockets;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary><c>Ambassador:Listeners:ProxyUnixSocket</c> serves the proxy routes over HTTP/1.1 and h2c on a Unix socket.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UnixSocketListenerTests
{
    private static string Config(string socket, string upstream, string mode = "") => $$"""
        {
          "Ambassador": { "Listeners": { "ProxyUnixSocket": "{{socket}}" {{mode}} } },
          "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/{**all}" } } },
            "Clusters": { "c": { "Destinations": { "d1": { "Address": "{{upstream}}" } } } }
          }
        }
        """;

    /// <summary>The HttpClient an app uses to reach Ambassador over the socket (the example in docs/app.md).</summary>
    private static HttpClient SocketClient(string path) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = new Uri("http://localhost"), Timeout = TimeSpan.FromSeconds(10) };

    private static string TempSocketPath() => Path.Combine(Path.GetTempPath(), "amb-" + Guid.NewGuid().ToString("N")[..8] + ".sock");

    [Fact]
    public async Task UnixSocket_Http11AndH2c_ServeProxyRoutes_WithOwnerOnlyMode_RemovedOnExit()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().WithPath("/items/1").UsingGet()).RespondWith(Response.Create().WithBody("item 1"));
        var path = TempSocketPath();
        var amb = await TestAmbassador.StartAsync(Config(path, upstream.Address()));
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using var client = SocketClient(path);

            using var http11 = await client.GetAsync("/items/1");
            Assert.Equal(HttpVersion.Version11, http11.Version);
            Assert.Equal("item 1", await http11.Content.ReadAsStringAsync());

            using var request = new HttpRequestMessage(HttpMethod.Get, "/items/1") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var h2c = await client.SendAsync(request);
            Assert.Equal(HttpVersion.Version20, h2c.Version);
            Assert.Equal("item 1", await h2c.Content.ReadAsStringAsync());

            using var noRoute = await client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, noRoute.StatusCode);
        }
        finally
        {
            await amb.DisposeAsync();
        }

        Assert.False(Path.Exists(path), "the socket file is removed on exit");
    }

    [Fact]
    public async Task UnixSocket_ConfiguredMode_IsApplied()
    {
        using var upstream = Upstreams.StartWireMock();
        var path = TempSocketPath();
        await using var amb = await TestAmbassador.StartAsync(Config(path, upstream.Address(), """, "ProxyUnixSocketMode": "0660" """));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task UnixSocket_StaleSocketFile_IsReplaced()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().UsingGet()).RespondWith(Response.Create().WithBody("ok"));
        var path = TempSocketPath();
        // A killed process leaves its socket file behind (.NET unlinks on Dispose, so another runtime makes it).
        using (var python = System.Diagnostics.Process.Start("python3", ["-c", $"import socket; s = socket.socket(socket.AF_UNIX); s.bind('{path}'); s.listen()"])!)
        {
            await python.WaitForExitAsync();
        }

        Assert.True(Path.Exists(path));
        await using var amb = await TestAmbassador.StartAsync(Config(path, upstream.Address()));

        using var client = SocketClient(path);
        Assert.Equal("ok", await client.GetStringAsync("/x"));
    }
}
