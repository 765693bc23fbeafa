using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>A real gRPC service (Grpc.AspNetCore, with the gRPC health service) on Kestrel, 127.0.0.1:0, HTTP/2 cleartext.</summary>
public sealed class GrpcUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcUpstream(WebApplication app, EchoState state, string address)
    {
        _app = app;
        State = state;
        Address = address;
    }

    public EchoState State { get; }

    /// <summary>The upstream's address as a YARP destination (<c>http://127.0.0.1:port/</c>).</summary>
    public string Address { get; }

    public static async Task<GrpcUpstream> StartAsync(string instance = "a")
    {
        var state = new EchoState(instance);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        builder.Services.AddGrpcHealthChecks()
            .AddCheck("echo", () => state.Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy());
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        app.MapGrpcHealthChecksService();

        // A plain HTTP/2 endpoint that answers only after it has read the whole body, as an upload handler does: an
        // endpoint that answers at once could answer before the proxy has read enough of the body to find it too large.
        app.MapPost("/upload", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            return Results.Ok();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcUpstream(app, state, address.TrimEnd('/') + "/");
    }

    /// <summary>
    /// A channel the way an app makes one for Ambassador: plain <c>http://</c> means HTTP/2 with prior knowledge
    /// (Grpc.Net.Client asks for exactly HTTP/2), or the TLS listener with <paramref name="handler"/> trusting its CA.
    /// </summary>
    public static GrpcChannel Channel(Uri address, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler ?? new SocketsHttpHandler(),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });

    /// <summary>Ambassador configuration routing every path to <paramref name="destinations"/> over h2c, plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, string?> Settings(IEnumerable<GrpcUpstream> destinations, IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:grpc:ClusterId"] = "echo",
            ["ReverseProxy:Routes:grpc:Match:Path"] = "/{**rest}",
            // gRPC needs HTTP/2 to the upstream; YARP would otherwise downgrade a cleartext destination to HTTP/1.1.
            ["ReverseProxy:Clusters:echo:HttpRequest:Version"] = "2",
            ["ReverseProxy:Clusters:echo:HttpRequest:VersionPolicy"] = "RequestVersionExact",
        };
        foreach (var upstream in destinations)
        {
            settings[$"ReverseProxy:Clusters:echo:Destinations:{upstream.State.Instance}:Address"] = upstream.Address;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
