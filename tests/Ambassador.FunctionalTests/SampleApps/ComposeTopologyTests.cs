using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Ambassador.FunctionalTests.Discovery;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock;
using WireMock.Server;
using WireMock.Settings;
using Request = WireMock.RequestBuilders.Request;
using Response = WireMock.ResponseBuilders.Response;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>
/// docker-compose.yml's topology without Docker: each inventory instance's own ambassador registers it with a Consul
/// agent, the order app's ambassador discovers them in Consul's catalog, and the order app only ever calls its ambassador.
/// </summary>
public sealed class ComposeTopologyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetOrder_WithConsulDiscovery_ReachesSidecarRegisteredInstancesAndStopsUsingADeregisteredOne()
    {
        using var catalog = new ConsulStub("inventory");
        using var agent = new ConsulAgentStub(catalog);
        await using var a = await SampleApp.StartInventoryAsync("inventory-1");
        await using var sidecarA = await StartInboundSidecarAsync(a, agent);
        await using var b = await SampleApp.StartInventoryAsync("inventory-2");
        var sidecarB = await StartInboundSidecarAsync(b, agent);
        // Stopped mid-test; a failure before that must not leave its registration loop running in this test process.
        var sidecarBStopped = false;
        try
        {
            await Poll.UntilAsync(() => agent.Registered.Count == 2, Deadline, "each instance's sidecar registers it");

            await using var ambassador = await TestAmbassador.StartAsync($$"""
                {
                  "Ambassador": { "Discovery": { "Consul": { "Address": "{{catalog.Url}}", "WaitTime": "00:00:30" } } },
                  "ReverseProxy": {
                    "Routes": { "inventory": { "ClusterId": "inventory", "Match": { "Path": "/inventory/{**rest}" } } },
                    "Clusters": { "inventory": { "LoadBalancingPolicy": "RoundRobin", "Destinations": { "inventory": { "Address": "http://inventory" } } } }
                  }
                }
                """);
            await using var order = await SampleApp.StartOrderAsync(ambassador.ProxyAddress, ambassador.AdminAddress);
            await Poll.UntilAsync(async () => (await order.Client.GetAsync("health")).IsSuccessStatusCode, Deadline,
                "the ambassador resolved the inventory service, so the app's /health reports its sidecar ready");

            // Polled: /readyz turns ready at the first resolution, and YARP applies the destinations just after, so
            // the very first orders may still meet no-healthy-destination.
            var served = new HashSet<string>();
            var last = string.Empty;
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    using var response = await order.Client.GetAsync("orders/sku-1");
                    last = await response.Content.ReadAsStringAsync();
                    if (response.IsSuccessStatusCode)
                    {
                        using var json = JsonDocument.Parse(last);
                        served.Add(json.RootElement.GetProperty("inventoryInstance").GetString()!);
                    }

                    return served.SetEquals(["inventory-1", "inventory-2"]);
                }, Deadline, "orders reach both self-registered instances through the ambassador");
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(
                    $"{ex.Message}\nserved: {string.Join(", ", served)}\nlast order answer: {last}\n"
                    + $"/admin/clusters: {await ambassador.AdminClient.GetStringAsync("admin/clusters")}\n"
                    + $"catalog queries: {string.Join(" | ", catalog.Requests.Select(r => $"{r.At:HH:mm:ss.fff} {r.Path}?index={r.Query.GetValueOrDefault("index")}"))}\n"
                    + $"agent registrations: {string.Join(", ", agent.Registered.Keys)}", ex);
            }

            // As compose stops a sidecar before the app it depends on: the sidecar deregisters, then the app goes.
            sidecarBStopped = true;
            await sidecarB.DisposeAsync();
            Assert.DoesNotContain(agent.Registered.Keys, id => id.EndsWith($"-{b.Address.Port}", StringComparison.Ordinal));
            await b.StopAsync();
            await Poll.UntilAsync(async () => (await ambassador.AdminClient.GetStringAsync("admin/clusters")).Contains($":{a.Address.Port}", StringComparison.Ordinal)
                    && !(await ambassador.AdminClient.GetStringAsync("admin/clusters")).Contains($":{b.Address.Port}", StringComparison.Ordinal),
                Deadline, "the ambassador drops the deregistered instance");

            for (var i = 0; i < 4; i++)
            {
                Assert.Equal("inventory-1", await OrderInstanceAsync(order));
            }
        }
        finally
        {
            if (!sidecarBStopped)
            {
                await sidecarB.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The inventory instance's own ambassador, configured as deploy/compose/inventory-ambassador.json is: it probes the
    /// app's <c>/health</c> and registers the app in Consul with a TTL check (the instance has no Consul code).
    /// </summary>
    private static Task<TestAmbassador> StartInboundSidecarAsync(SampleApp inventory, ConsulAgentStub agent) => TestAmbassador.StartAsync($$"""
        {
          "Ambassador": {
            "App": { "Address": "{{inventory.Address.GetLeftPart(UriPartial.Authority)}}", "HealthPath": "/health", "Health": { "Interval": "00:00:00.200", "Timeout": "00:00:00.200" } },
            "Discovery": { "Consul": { "Address": "{{agent.Url}}" } },
            "Registration": { "Consul": { "ServiceName": "inventory" } }
          }
        }
        """);

    private static async Task<string> OrderInstanceAsync(SampleApp order)
    {
        using var response = await order.Client.GetAsync("orders/sku-1");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("inventoryInstance").GetString()!;
    }

    /// <summary>
    /// A Consul agent's <c>/v1/agent/service/register|deregister</c> that writes into the catalog stub, as a real agent
    /// does, and answers the TTL updates and <c>GET /v1/agent/service/:id</c> a sidecar sends (checks are taken as passing).
    /// </summary>
    private sealed class ConsulAgentStub : IDisposable
    {
        private readonly WireMockServer _server;
        private readonly ConsulStub _catalog;
        private readonly Lock _lock = new();

        public ConsulAgentStub(ConsulStub catalog)
        {
            _catalog = catalog;
            _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"] });
            _server.Given(Request.Create().WithPath("/v1/agent/service/register").UsingPut())
                .RespondWith(Response.Create().WithCallback(Register));
            _server.Given(Request.Create().WithPath("/v1/agent/service/deregister/*").UsingPut())
                .RespondWith(Response.Create().WithCallback(Deregister));
            _server.Given(Request.Create().WithPath("/v1/agent/check/*").UsingPut())
                .RespondWith(Response.Create().WithStatusCode(200));
            _server.Given(Request.Create().WithPath("/v1/agent/service/*").UsingGet())
                .RespondWith(Response.Create().WithCallback(Known));
        }

        public string Url => _server.Url!;

        public ConcurrentDictionary<string, StubInstance> Registered { get; } = new();

        public void Dispose() => _server.Stop();

        private ResponseMessage Register(IRequestMessage request)
        {
            using var json = JsonDocument.Parse(request.Body!);
            var root = json.RootElement;
            lock (_lock)
            {
                Registered[root.GetProperty("ID").GetString()!] = new StubInstance(root.GetProperty("Port").GetInt32(), root.GetProperty("Address").GetString()!);
                Publish();
            }

            return new ResponseMessage { StatusCode = 200 };
        }

        private ResponseMessage Deregister(IRequestMessage request)
        {
            lock (_lock)
            {
                Registered.TryRemove(Uri.UnescapeDataString(request.Path["/v1/agent/service/deregister/".Length..]), out _);
                Publish();
            }

            return new ResponseMessage { StatusCode = 200 };
        }

        // The sidecar asks after every probe whether the agent still knows the service; 404 would make it register again.
        private ResponseMessage Known(IRequestMessage request) =>
            new() { StatusCode = Registered.ContainsKey(Uri.UnescapeDataString(request.Path["/v1/agent/service/".Length..])) ? 200 : 404 };

        // Under the lock: two registrations arriving together must not publish a stale snapshot last.
        private void Publish() => _catalog.SetInstances([.. Registered.Values.OrderBy(i => i.Port)]);

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
