using Yarp.ReverseProxy.Configuration;

// Usage: MinimalYarp --Listen=http://127.0.0.1:PORT --Upstream=http://127.0.0.1:PORT/
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.UseUrls(builder.Configuration["Listen"] ?? "http://127.0.0.1:5000");
var upstream = builder.Configuration["Upstream"] ?? "http://127.0.0.1:8080/";
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
    [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } } }]);

var app = builder.Build();
app.MapReverseProxy();
await app.RunAsync().ConfigureAwait(false);
