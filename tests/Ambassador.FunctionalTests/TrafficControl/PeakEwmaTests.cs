using System.Globalization;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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

    [Fact]
    public async Task PeakEwma_HeadersFastBodySlow_NotTreatedAsSlow()
    {
        // One destination answers its headers at once and its body 50 ms later; the other answers everything after
        // 15 ms. Measured to the response headers (Linkerd's sample) the first is the fast one; measured to the end of
        // the body it would look 3x slower and get almost nothing. A 1-s window lets the first samples (connection
        // set-up, JIT) decay during the warm-up.
        const string policy = """{ "Retry": { "MaxRetries": 0 }, "LoadBalancing": { "DecayWindow": "00:00:01" } }""";
        var streamed = 0;
        var (streaming, streamingUrl) = await Upstreams.StartKestrelAsync(app => app.Run(async context =>
        {
            if (context.Request.Path == "/x")
            {
                Interlocked.Increment(ref streamed);
            }

            // Kestrel sends the headers on the first flush, not on StartAsync.
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(50), context.RequestAborted);
            await context.Response.WriteAsync("the body, after the headers");
        }));
        await using var _ = streaming;
        await using var slowHeaders = await ControlledUpstream.StartAsync();
        slowHeaders.Delay = TimeSpan.FromMilliseconds(15);
        await using var amb = await TestAmbassador.StartAsync(Config([streamingUrl, slowHeaders.Url], policy, loadBalancing: "PeakEwma"));

        await Poll.UntilAsync(
            async () =>
            {
                Volatile.Write(ref streamed, 0);
                await SendAsync(amb, 20);
                return Volatile.Read(ref streamed) >= 16;
            },
            TimeSpan.FromSeconds(15),
            "after warm-up the destination whose headers come at once gets most requests");
        slowHeaders.ResetCounts();
        Volatile.Write(ref streamed, 0);
        await SendAsync(amb, 100);

        output.WriteLine($"headers after 15 ms: {slowHeaders.Hits} of 100; headers at once, body after 50 ms: {Volatile.Read(ref streamed)} of 100");
        Assert.Equal(100, slowHeaders.Hits + Volatile.Read(ref streamed));
        Assert.True(slowHeaders.Hits < 20, $"the destination with slow headers got {slowHeaders.Hits} of 100");
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
