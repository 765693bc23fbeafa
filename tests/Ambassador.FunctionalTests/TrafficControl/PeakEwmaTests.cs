using System.Globalization;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Xunit.Abstractions;
using static Ambassador.FunctionalTests.TrafficControl.TrafficFixtures;

namespace Ambassador.FunctionalTests.TrafficControl;

public sealed class PeakEwmaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PeakEwma_OneDestination30msSlower_GetsUnderAFifthThenRecovers()
    {
        const string policy = """{ "Retry": { "MaxRetries": 0 }, "LoadBalancing": { "DecayWindow": "00:00:01" } }""";
        await using var fast = await ControlledUpstream.StartAsync();
        await using var slow = await ControlledUpstream.StartAsync();
        slow.Delay = TimeSpan.FromMilliseconds(30);
        await using var amb = await TestAmbassador.StartAsync(Config([fast.Url, slow.Url], policy, loadBalancing: "PeakEwma"));

        await SendAsync(amb, 50);
        fast.ResetCounts();
        slow.ResetCounts();
        await SendAsync(amb, 500);

        output.WriteLine($"slow destination: {slow.Hits} of 500 sequential requests");
        Assert.True(slow.Hits < 100, $"the slow destination got {slow.Hits} of 500");

        // Fast again: its estimate decays while it is left alone, and its share comes back.
        slow.Delay = TimeSpan.Zero;
        var recovered = 0;
        await Poll.UntilAsync(
            async () =>
            {
                slow.ResetCounts();
                await SendAsync(amb, 100);
                recovered = slow.Hits;
                return recovered >= 30;
            },
            TimeSpan.FromSeconds(15),
            "the recovered destination gets its share again");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recovered: {recovered} of 100"));
    }

    private static async Task SendAsync(TestAmbassador amb, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/x");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
