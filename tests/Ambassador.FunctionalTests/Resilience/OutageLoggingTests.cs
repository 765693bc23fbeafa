using System.Diagnostics;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>
/// Logs follow state changes, not traffic: an instance dying under load is a handful of lines that name it and
/// the reason, not a warning with a stack trace per failed attempt.
/// </summary>
public sealed class OutageLoggingTests
{
    private static readonly string[] ShippedLevels = ["Information ", "Warning ", "Error ", "Critical "];

    [Fact]
    public async Task OneOfTwoInstancesDead_For5SecondsUnderLoad_LogsAtMost20LinesNamingTheInstance()
    {
        var (alive, aliveAddress) = await Upstreams.StartKestrelAsync(app => app.MapGet("/{**all}", () => "ok"));
        await using var _ = alive;
        var (dying, dyingAddress) = await Upstreams.StartKestrelAsync(app => app.MapGet("/{**all}", () => "ok"));
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": {
                  "alive": { "Address": "{{aliveAddress}}" },
                  "dying": { "Address": "{{dyingAddress}}" } } } }
              }
            }
            """);
        for (var i = 0; i < 20; i++)
        {
            using var warm = await amb.ProxyClient.GetAsync("/api/warm");
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var before = amb.Logs.Lines.Count;
        await dying.StopAsync();
        await dying.DisposeAsync();

        // About 1,000 requests a second for 5 s, from a few concurrent loops paced by a shared schedule.
        var watch = Stopwatch.StartNew();
        var duration = TimeSpan.FromSeconds(5);
        var sent = 0;
        var failed = 0;
        using var client = new HttpClient { BaseAddress = amb.ProxyAddress, Timeout = TimeSpan.FromSeconds(10) };
        var loops = Enumerable.Range(0, 8).Select(async _ =>
        {
            while (watch.Elapsed < duration)
            {
                var n = Interlocked.Increment(ref sent);
                var due = TimeSpan.FromMilliseconds(n); // request n is due at n ms
                if (due > watch.Elapsed)
                {
                    await Task.Delay(due - watch.Elapsed);
                }

                using var response = await client.GetAsync("/api/x");
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        });
        await Task.WhenAll(loops);

        var lines = amb.Logs.Lines.Skip(before).Where(l => ShippedLevels.Any(level => l.StartsWith(level, StringComparison.Ordinal))).ToList();
        var report = $"{sent} requests in {watch.Elapsed.TotalSeconds:0.0} s, {failed} failed; {lines.Count} lines:\n" + string.Join("\n", lines);
        Assert.True(sent >= 2_000, report); // the load is real even on a busy two-core machine
        Assert.True(lines.Count <= 20, report);
        Assert.Contains(lines, l => l.Contains("destination 'dying'", StringComparison.Ordinal) && l.Contains("Connection refused", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("   at ", StringComparison.Ordinal)); // no stack trace
    }

    [Fact]
    public async Task OnlyInstanceDead_FailedRequests_LogOneLineWithoutStackTrace()
    {
        await using var amb = await TestAmbassador.StartAsync($$"""
            {
              "ReverseProxy": {
                "Routes": { "api": { "ClusterId": "backend", "Match": { "Path": "/api/{**rest}" } } },
                "Clusters": { "backend": { "Destinations": { "gone": { "Address": "http://127.0.0.1:{{Hosting.ErrorContractTests.FreePort()}}/" } } } }
              }
            }
            """);
        var before = amb.Logs.Lines.Count;

        for (var i = 0; i < 30; i++)
        {
            using var response = await amb.ProxyClient.GetAsync("/api/x");
            Assert.True(response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable, $"request {i}: {response.StatusCode}");
        }

        var lines = amb.Logs.Lines.Skip(before).Where(l => ShippedLevels.Any(level => l.StartsWith(level, StringComparison.Ordinal))).ToList();
        var report = string.Join("\n", lines);
        var requestFailed = Assert.Single(lines, l => l.Contains("[1403]", StringComparison.Ordinal));
        Assert.Contains("request answered 502", requestFailed, StringComparison.Ordinal);
        Assert.Contains("'gone'", requestFailed, StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("[1401]", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("HttpForwarder", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" | ", StringComparison.Ordinal)); // the sink appends " | exception" to a line that carries one
        Assert.True(lines.Count <= 5, report);
    }
}
