using Ambassador.Policies.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class LogThrottleTests
{
    [Fact]
    public void ShouldLog_RepeatsWithinInterval_AreCountedIntoTheNextLine()
    {
        var time = new FakeTimeProvider();
        var throttle = new LogThrottle<string>(time, TimeSpan.FromSeconds(10));

        Assert.True(throttle.ShouldLog("a", out var first));
        Assert.Equal(0, first);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.ShouldLog("a", out _));
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.ShouldLog("a", out var suppressed));
        Assert.Equal(5, suppressed);
        Assert.False(throttle.ShouldLog("a", out _));
    }

    [Fact]
    public void ShouldLog_DifferentKeys_AreThrottledApart()
    {
        var throttle = new LogThrottle<string>(new FakeTimeProvider(), TimeSpan.FromSeconds(10));

        Assert.True(throttle.ShouldLog("a", out _));
        Assert.True(throttle.ShouldLog("b", out _));
        Assert.False(throttle.ShouldLog("a", out _));
    }
}
