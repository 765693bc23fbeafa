using System.Globalization;
using Yarp.ReverseProxy.Configuration;

// Usage: MinimalYarp --Listen=http://127.0.0.1:PORT --Upstream=http://127.0.0.1:PORT/ [--Admin=http://127.0.0.1:PORT]
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var listen = builder.Configuration["Listen"] ?? "http://127.0.0.1:5000";
var admin = builder.Configuration["Admin"];
builder.WebHost.UseUrls(admin is null ? [listen] : [listen, admin]);
var upstream = builder.Configuration["Upstream"] ?? "http://127.0.0.1:8080/";
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } } }]);

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
