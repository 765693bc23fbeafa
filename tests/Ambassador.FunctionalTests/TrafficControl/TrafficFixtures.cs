using System.Text.Json;
using System.Text.Json.Nodes;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.TrafficControl;

/// <summary>Configuration documents and admin read-outs shared by the traffic-control tests.</summary>
internal static class TrafficFixtures
{
    /// <summary>One catch-all route to cluster <c>c</c> over <paramref name="addresses"/> (destinations d0, d1, …) with policy <c>p</c>.</summary>
    public static string Config(IReadOnlyList<string> addresses, string policy, string loadBalancing = "RoundRobin")
    {
        var destinations = new JsonObject();
        for (var i = 0; i < addresses.Count; i++)
        {
            destinations[$"d{i}"] = new JsonObject { ["Address"] = addresses[i] };
        }

        return new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning", ["Ambassador"] = "Information" } },
            ["Ambassador"] = new JsonObject { ["Policies"] = new JsonObject { ["p"] = JsonNode.Parse(policy) } },
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["r"] = new JsonObject { ["ClusterId"] = "c", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } },
                },
                ["Clusters"] = new JsonObject
                {
                    ["c"] = new JsonObject
                    {
                        ["LoadBalancingPolicy"] = loadBalancing,
                        ["Metadata"] = new JsonObject { ["Policy"] = "p" },
                        ["Destinations"] = destinations,
                    },
                },
            },
        }.ToJsonString();
    }

    /// <summary>Cluster <c>c</c> as <c>/admin/clusters</c> shows it.</summary>
    public static async Task<JsonElement> AdminClusterAsync(TestAmbassador amb)
    {
        using var document = JsonDocument.Parse(await amb.AdminClient.GetStringAsync("/admin/clusters"));
        return document.RootElement.GetProperty("clusters")[0].Clone();
    }

    /// <summary>Destination <paramref name="id"/> of cluster <c>c</c> as <c>/admin/clusters</c> shows it.</summary>
    public static async Task<JsonElement> AdminDestinationAsync(TestAmbassador amb, string id)
    {
        var cluster = await AdminClusterAsync(amb);
        return cluster.GetProperty("destinations").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);
    }

    /// <summary>Opens up to <paramref name="count"/> proxy connections (concurrent requests to <c>/warm</c>), so a test's burst measures the proxy, not connection set-up.</summary>
    public static async Task WarmAsync(TestAmbassador amb, int count)
    {
        var warm = Enumerable.Range(0, count).Select(async _ =>
        {
            using var response = await amb.ProxyClient.GetAsync("/warm");
        });
        await Task.WhenAll(warm);
    }
}
