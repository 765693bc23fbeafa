using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

// Usage: MinimalYarp --Listen=http://127.0.0.1:PORT --Upstream=http://127.0.0.1:PORT/ [--Admin=http://127.0.0.1:PORT] [--H2c=true]
// --H2c=true (the gRPC row): the listener speaks HTTP/2 with prior knowledge and the upstream is called over HTTP/2
// cleartext, as a gRPC service needs; the same two settings Ambassador's docs give for a gRPC cluster.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var listen = builder.Configuration["Listen"] ?? "http://127.0.0.1:5000";
var admin = builder.Configuration["Admin"];
var h2c = string.Equals(builder.Configuration["H2c"], "true", StringComparison.OrdinalIgnoreCase);
if (h2c)
{
    var port = new Uri(listen).Port;
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
}
else
{
    builder.WebHost.UseUrls(admin is null ? [listen] : [listen, admin]);
}

var upstream = builder.Configuration["Upstream"] ?? "http://127.0.0.1:8080/";
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig
    {
        ClusterId = "upstream",
        HttpRequest = h2c ? new ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact } : null,
        Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } },
    }]);

var app = builder.Build();
if (admin is not null)
{
    // The same figure Ambassador's /admin/memory gives, so bytes per request are measured the same way for both.
    app.MapGet("/admin/memory", (RequestDelegate)(context => context.Response.WriteAsync(
        string.Create(CultureInfo.InvariantCulture, $"{{\"allocatedBytes\":{GC.GetTotalAllocatedBytes()}}}"))))
        .RequireHost($"*:{new Uri(admin).Port}");
}

app.MapReverseProxy();
await app.RunAsync().ConfigureAwait(false);
