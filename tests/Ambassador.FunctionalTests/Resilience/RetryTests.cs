using System.Diagnostics;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Ambassador.FunctionalTests.Resilience.ResilienceFixtures;

namespace Ambassador.FunctionalTests.Resilience;

public sealed class RetryTests : IDisposable
{
    private readonly WireMockServer _failing = WireMockServer.Start();
    private readonly WireMockServer _healthy = WireMockServer.Start();

    public RetryTests()
    {
        _failing.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(503).WithBody("down"));
        _healthy.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
    }

    public void Dispose()
    {
        _failing.Stop();
        _healthy.Stop();
    }

    [Fact]
    public async Task Get_PoolWithOneFailingInstance_AllSucceed()
    {
        await using var amb = await TestAmbassador.StartAsync(Config([_failing, _healthy], $$"""{ "Retry": { "BaseDelay": "00:00:00.001" }, {{NeverBreak}} }"""));

        for (var i = 0; i < 30; i++)
        {
            using var response = await amb.ProxyClient.GetAsync($"/items/{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }

        // Round robin sends every other first attempt to the failing instance; each retry goes to the other one.
        Assert.InRange(_failing.Hits(), 1, 30);
        Assert.Equal(30, _healthy.Hits());
    }
}
