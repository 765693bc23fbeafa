using System.Net;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>
/// The inventory sample on its own: the failure switch. It has no Consul code; its sidecar registers it
/// (<see cref="ComposeTopologyTests"/>).
/// </summary>
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
}
