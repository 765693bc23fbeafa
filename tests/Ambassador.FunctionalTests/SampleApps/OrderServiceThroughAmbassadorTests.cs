using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ambassador.FunctionalTests.Infrastructure;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>
/// The order sample calling a real Ambassador (the production composition root) in front of two real inventory
/// instances, and the order sample's graceful degradation when its sidecar is gone or silent.
/// </summary>
public sealed class OrderServiceThroughAmbassadorTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task GetOrder_ThroughAmbassador_IsAnsweredByBothInventoryInstances()
    {
        await using var a = await SampleApp.StartInventoryAsync("inventory-a");
        await using var b = await SampleApp.StartInventoryAsync("inventory-b");
        await using var ambassador = await TestAmbassador.StartAsync(InventoryRoute(a.Address, b.Address));
        await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);

        var instances = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await order.Client.GetAsync($"orders/sku-{i}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            using var json = JsonDocument.Parse(body);
            Assert.Equal($"sku-{i}", json.RootElement.GetProperty("sku").GetString());
            instances.Add(json.RootElement.GetProperty("inventoryInstance").GetString()!);
        }

        // Round robin over two instances: both answer three times.
        Assert.Equal(3, instances.Count(i => i == "inventory-a"));
        Assert.Equal(3, instances.Count(i => i == "inventory-b"));
    }

    [Fact]
    public async Task GetOrder_AfterOneInventoryInstanceStops_KeepsSucceedingOnTheOther()
    {
        await using var a = await SampleApp.StartInventoryAsync("inventory-a");
        var b = await SampleApp.StartInventoryAsync("inventory-b");
        await using var ambassador = await TestAmbassador.StartAsync(InventoryRoute(a.Address, b.Address));
        await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);

        await b.DisposeAsync();
        await Poll.UntilAsync(
            async () => (await ambassador.AdminClient.GetStringAsync("admin/clusters")).Contains("\"unhealthy\"", StringComparison.Ordinal),
            Deadline,
            "the ambassador's health checks mark the stopped instance unhealthy");

        for (var i = 0; i < 6; i++)
        {
            using var response = await order.Client.GetAsync($"orders/sku-{i}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("\"inventoryInstance\":\"inventory-a\"", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetOrder_WhenInventoryInstanceFails_PassesTheFailureOnAs503WithReason()
    {
        await using var a = await SampleApp.StartInventoryAsync("inventory-a", "--Inventory:Fail=true");
        // No active health checks here: the instance must stay in rotation so its own 503 comes back.
        await using var ambassador = await TestAmbassador.StartAsync(InventoryRoute(activeHealthChecks: false, a.Address));
        await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);

        using var response = await order.Client.GetAsync("orders/sku-1");

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("inventory-error", problem.GetProperty("reason").GetString());
        Assert.Equal("Inventory answered 503 after the ambassador's retries.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task GetOrder_WhenAmbassadorHasNoRoute_Answers503NamingTheAmbassadorsReason()
    {
        await using var ambassador = await TestAmbassador.StartAsync("""{ "ReverseProxy": { "Routes": {}, "Clusters": {} } }""");
        await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);

        using var response = await order.Client.GetAsync("orders/sku-1");

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-route", problem.GetProperty("reason").GetString());
        Assert.Contains("no-route", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOrder_WhenAmbassadorIsGone_Answers503WithMessageAtOnce()
    {
        await using var a = await SampleApp.StartInventoryAsync("inventory-a");
        var ambassador = await TestAmbassador.StartAsync(InventoryRoute(a.Address));
        var proxy = ambassador.ProxyAddress;
        await using var order = await SampleApp.StartOrderAsync(proxy, ambassador.AdminAddress);
        using (var before = await order.Client.GetAsync("orders/sku-1"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await ambassador.DisposeAsync();
        var clock = Stopwatch.StartNew();
        using var response = await order.Client.GetAsync("orders/sku-1");
        var elapsed = clock.Elapsed;

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("ambassador-unreachable", problem.GetProperty("reason").GetString());
        Assert.Contains($"The ambassador sidecar at {proxy} is not reachable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Connection refused on loopback: no waiting at all (generous bound for a busy machine; HttpClient's default is 100 s).
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"took {elapsed}");
    }

    [Fact]
    public async Task GetOrder_WhenAmbassadorAcceptsButNeverAnswers_Answers503AfterTheTimeout()
    {
        // A "sidecar" that accepts connections and never answers: the worst case for a caller.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/");
        await using var order = await SampleApp.StartOrderAsync(address, address, "--Ambassador:Timeout=00:00:01");

        var clock = Stopwatch.StartNew();
        using var response = await order.Client.GetAsync("orders/sku-1");
        var elapsed = clock.Elapsed;

        var problem = await ProblemAsync(response);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("ambassador-timeout", problem.GetProperty("reason").GetString());
        Assert.Contains("within 1 s", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(elapsed >= TimeSpan.FromSeconds(0.9) && elapsed < TimeSpan.FromSeconds(8), $"took {elapsed}");
    }

    [Fact]
    public async Task Health_ReportsTheSidecarsReadiness()
    {
        await using var a = await SampleApp.StartInventoryAsync("inventory-a");
        var ambassador = await TestAmbassador.StartAsync(InventoryRoute(a.Address));
        await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);

        using (var ready = await order.Client.GetAsync("health"))
        {
            var body = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains("\"status\":\"Healthy\"", body, StringComparison.Ordinal);
            Assert.Contains("ambassador ready", body, StringComparison.Ordinal);
        }

        await ambassador.DisposeAsync();

        using var gone = await order.Client.GetAsync("health");
        var goneBody = await gone.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.StatusCode);
        Assert.Contains("\"status\":\"Unhealthy\"", goneBody, StringComparison.Ordinal);
        Assert.Contains("ambassador unreachable", goneBody, StringComparison.Ordinal);

        // Liveness does not depend on the sidecar: the app must not be restarted because its helper is gone.
        using var alive = await order.Client.GetAsync("alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    /// <summary>The route the samples use: <c>/inventory/**</c> to the given instances, with fast active health checks.</summary>
    internal static string InventoryRoute(params Uri[] instances) => InventoryRoute(activeHealthChecks: true, instances);

    internal static string InventoryRoute(bool activeHealthChecks, params Uri[] instances)
    {
        var destinations = string.Join(",", instances.Select((uri, i) => $$"""
            "d{{i}}": { "Address": "{{uri}}" }
            """));
        return $$"""
            {
              "ReverseProxy": {
                "Routes": { "inventory": { "ClusterId": "inventory", "Match": { "Path": "/inventory/{**rest}" } } },
                "Clusters": {
                  "inventory": {
                    "LoadBalancingPolicy": "RoundRobin",
                    "Metadata": { "ConsecutiveFailuresHealthPolicy.Threshold": "1" },
                    "HealthCheck": {
                      "Active": { "Enabled": {{(activeHealthChecks ? "true" : "false")}}, "Interval": "00:00:00.200", "Timeout": "00:00:01", "Policy": "ConsecutiveFailures", "Path": "/health" }
                    },
                    "Destinations": { {{destinations}} }
                  }
                }
              }
            }
            """;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }
}
