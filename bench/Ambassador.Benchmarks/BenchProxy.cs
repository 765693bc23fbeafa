using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Benchmarks;

/// <summary>
/// The proxy both benchmark classes compare: one catch-all route to a cluster of two destinations, YARP's default
/// pipeline, with or without <c>UseAmbassadorResilience()</c> in front (policies bound from <paramref name="policies"/>).
/// </summary>
internal static class BenchProxy
{
    public static async Task<WebApplication> StartAsync(
        string destination1, string destination2, bool withPolicies, IDictionary<string, string?> policies, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        services?.Invoke(builder.Services);
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "r", ClusterId = "c", Match = new RouteMatch { Path = "{**catch-all}" } }],
            [new ClusterConfig
            {
                ClusterId = "c",
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    ["d1"] = new() { Address = destination1 },
                    ["d2"] = new() { Address = destination2 },
                },
            }]);
        if (withPolicies)
        {
            builder.Services.AddAmbassadorPolicies(new ConfigurationBuilder().AddInMemoryCollection(policies).Build());
        }

        var app = builder.Build();
        app.MapReverseProxy(proxy =>
        {
            if (withPolicies)
            {
                proxy.UseAmbassadorResilience();
            }

            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        await app.StartAsync();
        return app;
    }
}
