using Ambassador.Discovery.Consul;

namespace Ambassador.Tests.Discovery.Consul;

public class ConsulIndexRulesTests
{
    [Theory]
    [InlineData(0, 42, 42)]
    [InlineData(42, 42, 42)]
    [InlineData(42, 43, 43)]
    public void NextIndex_SameOrNewer_UsesReturned(long sent, long returned, long expected) =>
        Assert.Equal(expected, ConsulIndexRules.NextIndex(sent, returned));

    [Theory]
    [InlineData(100, 50)]
    [InlineData(100, 0)]
    [InlineData(2, 1)]
    public void NextIndex_WentBackwards_ResetsToZero(long sent, long returned) =>
        Assert.Equal(0, ConsulIndexRules.NextIndex(sent, returned));

    [Fact]
    public void NextIndex_ZeroOrMissing_UsesAtLeastOne() =>
        Assert.Equal(1, ConsulIndexRules.NextIndex(0, 0));

    [Theory]
    [InlineData(0, 0, false)]
    [InlineData(1, 0, false)]
    [InlineData(5, 5, false)]
    [InlineData(5, 4, false)]
    [InlineData(0, 7, true)]
    [InlineData(5, 6, true)]
    public void IsProgress_OnlyStrictlyNewerRealIndex(long sent, long returned, bool expected) =>
        Assert.Equal(expected, ConsulIndexRules.IsProgress(sent, returned));

    [Fact]
    public void RateLimitDelay_NoProgress_SpacesStartsOneSecondApart()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(1), ConsulIndexRules.RateLimitDelay(start, start, progress: false));
        Assert.Equal(TimeSpan.FromMilliseconds(700), ConsulIndexRules.RateLimitDelay(start, start.AddMilliseconds(300), progress: false));
        Assert.Equal(TimeSpan.Zero, ConsulIndexRules.RateLimitDelay(start, start.AddMinutes(5), progress: false));
    }

    [Fact]
    public void RateLimitDelay_Progress_SpacesStartsAHundredMillisecondsApart()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromMilliseconds(100), ConsulIndexRules.RateLimitDelay(start, start, progress: true));
        Assert.Equal(TimeSpan.Zero, ConsulIndexRules.RateLimitDelay(start, start.AddMilliseconds(150), progress: true));
    }

    [Theory]
    [InlineData(1, 0.0, 500)]
    [InlineData(1, 1.0, 1000)]
    [InlineData(2, 0.0, 1000)]
    [InlineData(3, 0.5, 3000)]
    [InlineData(5, 1.0, 16000)]
    [InlineData(6, 1.0, 30000)]
    [InlineData(60, 0.0, 15000)]
    [InlineData(int.MaxValue, 1.0, 30000)]
    public void Backoff_ExponentialWithEqualJitter_CappedAtThirtySeconds(int failures, double random, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ConsulIndexRules.Backoff(failures, random));

    [Fact]
    public void RequestTimeout_ExceedsWaitPlusConsulJitter()
    {
        var wait = TimeSpan.FromMinutes(5);
        Assert.True(ConsulConstants.RequestTimeout(wait) > wait + (wait / 16));
    }
}
