using Ambassador.Discovery.Consul;
using Microsoft.Extensions.Logging;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulServiceWatcherTests
{
    private static readonly ConsulOptions Options = new() { Address = "http://127.0.0.1:8500" };

    private static ConsulServiceWatcher Create(FakeConsulClient client, ObservedFakeTime time, ListLogger? logger = null) =>
        new("inventory", Options, client, time, logger ?? new ListLogger(), observer: null, random: () => 0.5);

    [Fact]
    public async Task Run_IndexAlwaysZero_DoesNotSpin()
    {
        var time = new ObservedFakeTime();
        var client = new FakeConsulClient { Responder = _ => new ConsulQueryResult([FakeConsulClient.Entry("127.0.0.1", 5001)], 0) };
        await using var watcher = Create(client, time);
        watcher.Start();

        var elapsed = TimeSpan.Zero;
        for (var i = 1; i <= 10; i++)
        {
            var delay = await time.NextDelayAsync();
            Assert.Equal(i, client.Calls);
            Assert.True(delay >= TimeSpan.FromSeconds(1), $"query {i} was followed by only {delay}");
            time.Fake.Advance(delay);
            elapsed += delay;
        }

        await time.NextDelayAsync();
        Assert.Equal(11, client.Calls);
        Assert.True(elapsed >= TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(client.SentIndexes, i => i < 0);
    }

    [Fact]
    public async Task Run_IndexWentBackwards_ResetsAndReadsAfresh()
    {
        var time = new ObservedFakeTime();
        var answers = new Queue<long>([100, 50, 50, 50, 50, 50]);
        var client = new FakeConsulClient { Responder = _ => new ConsulQueryResult([], answers.Dequeue()) };
        await using var watcher = Create(client, time);
        watcher.Start();
        for (var i = 0; i < 4; i++)
        {
            time.Fake.Advance(await time.NextDelayAsync());
        }

        Assert.Equal([0L, 100L, 0L, 50L], client.SentIndexes.Take(4));
        Assert.Equal(50, watcher.Snapshot.Index);
    }

    [Fact]
    public async Task Run_ConsulFails_KeepsLastKnownGoodBacksOffAndLogsOncePerStateChange()
    {
        var time = new ObservedFakeTime();
        var logger = new ListLogger();
        var failing = false;
        var client = new FakeConsulClient
        {
            Responder = _ => failing
                ? throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul is unreachable: Connection refused")
                : new ConsulQueryResult([FakeConsulClient.Entry("127.0.0.1", 5001), FakeConsulClient.Entry("127.0.0.1", 5002)], 10),
        };
        await using var watcher = Create(client, time, logger);
        watcher.Start();
        var rateLimit = await time.NextDelayAsync();
        Assert.Equal(2, watcher.Snapshot.Endpoints.Count);

        failing = true;
        time.Fake.Advance(rateLimit);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            delays.Add(await time.NextDelayAsync());
            if (i < 5)
            {
                time.Fake.Advance(delays[^1]);
            }
        }

        // Back-off with equal jitter (random fixed at 0.5): 0.75, 1.5, 3, 6, 12, 22.5 s.
        Assert.Equal(new[] { 0.75, 1.5, 3, 6, 12, 22.5 }.Select(TimeSpan.FromSeconds), delays);
        Assert.Equal(7, client.Calls);
        Assert.Equal(2, watcher.Snapshot.Endpoints.Count);
        Assert.True(watcher.Snapshot.Resolved);
        Assert.Equal("Consul is unreachable: Connection refused", watcher.Snapshot.LastError);
        Assert.Single(logger.Lines, l => l.Level == LogLevel.Warning);

        failing = false;
        time.Fake.Advance(delays[^1]);
        await time.NextDelayAsync();
        Assert.Null(watcher.Snapshot.LastError);
        Assert.Single(logger.Lines, l => l.Message.Contains("recovered", StringComparison.Ordinal));
        Assert.Equal(10, client.SentIndexes.Last());
    }

    [Fact]
    public async Task ChangeToken_FiresOnlyWhenTheSetChanges()
    {
        var time = new ObservedFakeTime();
        var index = 10L;
        IReadOnlyList<ConsulServiceEntry> entries = [FakeConsulClient.Entry("127.0.0.1", 5001)];
        var client = new FakeConsulClient { Responder = _ => new ConsulQueryResult(entries, ++index) };
        await using var watcher = Create(client, time);

        var beforeFirstAnswer = watcher.GetChangeToken();
        watcher.Start();
        var firstDelay = await time.NextDelayAsync();
        Assert.True(beforeFirstAnswer.HasChanged);

        var afterFirstAnswer = watcher.GetChangeToken();
        time.Fake.Advance(firstDelay);
        var secondDelay = await time.NextDelayAsync();
        Assert.False(afterFirstAnswer.HasChanged);
        Assert.Equal(2, client.Calls);

        entries = [FakeConsulClient.Entry("127.0.0.1", 5001), FakeConsulClient.Entry("127.0.0.1", 5003)];
        time.Fake.Advance(secondDelay);
        await time.NextDelayAsync();
        Assert.True(afterFirstAnswer.HasChanged);
        Assert.Equal([new ConsulEndpoint("127.0.0.1", 5001), new ConsulEndpoint("127.0.0.1", 5003)], watcher.Snapshot.Endpoints);
    }

    [Fact]
    public async Task DisposeAsync_StopsTheLoop()
    {
        var time = new ObservedFakeTime();
        var client = new FakeConsulClient();
        var watcher = Create(client, time);
        watcher.Start();
        await time.NextDelayAsync();
        await watcher.DisposeAsync();
        var calls = client.Calls;
        time.Fake.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(calls, client.Calls);
    }
}
