using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace Ambassador.FunctionalTests.Hosting;

/// <summary>
/// The shipped log levels (Information, with Microsoft.AspNetCore and Yarp at Warning) must keep the
/// proxy path silent: a log line per request costs an allocation and a console write per request,
/// which is most of a sidecar's per-request budget (bench/README.md).
/// </summary>
public sealed class HotPathLoggingTests
{
    private static readonly string[] ShippedLevels = ["Information ", "Warning ", "Error ", "Critical "];

    [Fact]
    public async Task ProxiedRequests_AtShippedLogLevels_WriteNoLinePerRequest()
    {
        using var upstream = Upstreams.StartWireMock();
        upstream.Given(Request.Create().WithPath("/ok").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody("ok"));
        upstream.Given(Request.Create().WithPath("/missing").UsingGet()).RespondWith(Response.Create().WithStatusCode(404));
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "r1": { "ClusterId": "c1", "Match": { "Path": "{**catch-all}" } } },
                "Clusters": { "c1": { "Destinations": { "d1": { "Address": "{{upstream.Address()}}" } } } }
              }
            }
            """);
        // The first request warms up lazily created parts (connection pool, policies) that may log once.
        Assert.Equal(HttpStatusCode.OK, (await amb.ProxyClient.GetAsync("/ok")).StatusCode);
        var before = CountAtShippedLevels(amb.Logs);

        for (var i = 0; i < 40; i++)
        {
            using var ok = await amb.ProxyClient.GetAsync("/ok");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var missing = await amb.ProxyClient.GetAsync("/missing");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        var added = amb.Logs.Lines.Where(IsAtShippedLevel).Skip(before).ToList();
        Assert.True(added.Count == 0, "80 proxied requests wrote log lines at the shipped levels:\n" + string.Join("\n", added));
    }

    private static bool IsAtShippedLevel(string line) => ShippedLevels.Any(level => line.StartsWith(level, StringComparison.Ordinal));

    private static int CountAtShippedLevels(TestLogSink logs) => logs.Lines.Count(IsAtShippedLevel);
}
