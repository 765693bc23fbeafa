using System.Text.Json.Nodes;
using WireMock.Server;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>Configuration documents and upstream helpers shared by the resilience tests.</summary>
internal static class ResilienceFixtures
{
    /// <summary>
    /// One catch-all route to cluster <c>c</c> whose destinations are <paramref name="upstreams"/>, using policy <c>p</c>
    /// built from <paramref name="policy"/> (a JSON object of Retry/CircuitBreaker/Timeout sections).
    /// </summary>
    public static string Config(IReadOnlyList<WireMockServer> upstreams, string policy, string loadBalancing = "RoundRobin")
    {
        var destinations = new JsonObject();
        for (var i = 0; i < upstreams.Count; i++)
        {
            destinations[$"d{i}"] = new JsonObject { ["Address"] = upstreams[i].Url + "/" };
        }

        var root = new JsonObject
        {
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning", ["Ambassador"] = "Debug" } },
            ["Ambassador"] = new JsonObject
            {
                ["Policies"] = new JsonObject { ["p"] = JsonNode.Parse(policy) },
            },
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["r"] = new JsonObject
                    {
                        ["ClusterId"] = "c",
                        ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" },
                    },
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
        };
        return root.ToJsonString();
    }

    /// <summary>Adds a destination (first in the list) to the cluster of a <see cref="Config"/> document.</summary>
    public static string WithDestination(string config, string id, string url)
    {
        var root = JsonNode.Parse(config)!;
        var destinations = root["ReverseProxy"]!["Clusters"]!["c"]!["Destinations"]!.AsObject();
        var existing = destinations.ToList();
        destinations.Clear();
        destinations[id] = new JsonObject { ["Address"] = url.TrimEnd('/') + "/" };
        foreach (var (key, value) in existing)
        {
            destinations[key] = value;
        }

        return root.ToJsonString();
    }

    /// <summary>Requests an upstream received (WireMock's log).</summary>
    public static int Hits(this WireMockServer server) => server.LogEntries.Count;

    /// <summary>A breaker configuration that never opens during a short test.</summary>
    public const string NeverBreak = """ "CircuitBreaker": { "MinimumThroughput": 10000, "ConsecutiveFailures": 0 } """;
}
