using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using WireMock.Server;
using WireMock.Settings;
using Request = WireMock.RequestBuilders.Request;
using Response = WireMock.ResponseBuilders.Response;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>The inventory sample on its own: failure switch and Consul self-registration (against a Consul stub).</summary>
public sealed class InventoryServiceTests
{
    [Fact]
    public async Task FailSwitch_PostThenDelete_TurnsItemsAndHealthTo503AndBack()
    {
        await using var inventory = await SampleApp.StartInventoryAsync("inventory-x");

        using (var ok = await inventory.Client.GetAsync("inventory/items/sku-1"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("inventory-x", ok.Headers.GetValues("x-served-by").Single());
        }

        (await inventory.Client.PostAsync("admin/fail", content: null)).EnsureSuccessStatusCode();
        using (var failing = await inventory.Client.GetAsync("inventory/items/sku-1"))
        using (var health = await inventory.Client.GetAsync("health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failing.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        (await inventory.Client.DeleteAsync("admin/fail")).EnsureSuccessStatusCode();
        using var healed = await inventory.Client.GetAsync("inventory/items/sku-1");
        Assert.Equal(HttpStatusCode.OK, healed.StatusCode);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("sku_1")]
    public async Task GetItem_InvalidSku_Answers400(string sku)
    {
        await using var inventory = await SampleApp.StartInventoryAsync("inventory-x");

        using var response = await inventory.Client.GetAsync($"inventory/items/{Uri.EscapeDataString(sku)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ConsulRegistration_RegistersAfterStartAndDeregistersOnStop()
    {
        using var consul = StartConsulStub();
        var inventory = await SampleApp.StartInventoryAsync(
            "inventory-x", $"--Consul:Address={consul.Url}", "--Consul:Token=s3cret", "--Consul:Tags:0=primary");
        var port = inventory.Address.Port;

        await Infrastructure.Poll.UntilAsync(
            () => consul.LogEntries.Any(e => e.RequestMessage.Path == "/v1/agent/service/register"),
            TimeSpan.FromSeconds(20),
            "the instance registers itself in Consul");

        var register = consul.LogEntries.First(e => e.RequestMessage.Path == "/v1/agent/service/register").RequestMessage;
        Assert.Equal("PUT", register.Method);
        Assert.Equal("s3cret", register.Headers!["X-Consul-Token"].Single());
        using var body = JsonDocument.Parse(register.Body!);
        var root = body.RootElement;
        Assert.Equal("inventory", root.GetProperty("Name").GetString());
        Assert.Equal($"inventory-127.0.0.1-{port}", root.GetProperty("ID").GetString());
        Assert.Equal("127.0.0.1", root.GetProperty("Address").GetString());
        Assert.Equal(port, root.GetProperty("Port").GetInt32());
        Assert.Equal(["primary"], root.GetProperty("Tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal($"http://127.0.0.1:{port}/health", root.GetProperty("Check").GetProperty("HTTP").GetString());
        Assert.Equal("5000ms", root.GetProperty("Check").GetProperty("Interval").GetString());

        await inventory.DisposeAsync();

        var deregister = Assert.Single(consul.LogEntries, e => e.RequestMessage.Path.StartsWith("/v1/agent/service/deregister/", StringComparison.Ordinal));
        Assert.Equal("PUT", deregister.RequestMessage.Method);
        Assert.Equal($"/v1/agent/service/deregister/inventory-127.0.0.1-{port}", deregister.RequestMessage.Path);
    }

    [Fact]
    public async Task ConsulRegistration_WhenConsulIsNotUpYet_KeepsTryingAndServes()
    {
        // Reserve a port, start the instance pointing at it while nothing listens there, then bring "Consul" up.
        var port = FreePort();
        await using var inventory = await SampleApp.StartInventoryAsync("inventory-x", $"--Consul:Address=http://127.0.0.1:{port}");
        using (var ok = await inventory.Client.GetAsync("inventory/items/sku-1"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var consul = StartConsulStub(port);
        await Infrastructure.Poll.UntilAsync(
            () => consul.LogEntries.Any(e => e.RequestMessage.Path == "/v1/agent/service/register"),
            TimeSpan.FromSeconds(20),
            "the instance retries its registration once Consul answers");
    }

    private static WireMockServer StartConsulStub(int? port = null)
    {
        var server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{port ?? FreePort()}"] });
        server.Given(Request.Create().WithPath("/v1/agent/service/register").UsingPut())
            .RespondWith(Response.Create().WithStatusCode(200));
        server.Given(Request.Create().WithPath("/v1/agent/service/deregister/*").UsingPut())
            .RespondWith(Response.Create().WithStatusCode(200));
        return server;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
