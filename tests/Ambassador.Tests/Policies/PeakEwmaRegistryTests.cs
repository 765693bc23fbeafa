using Ambassador.Policies.LoadBalancing;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class PeakEwmaRegistryTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Observe_SampleAboveEstimate_TakesThePeakAtOnce()
    {
        var registry = new PeakEwmaRegistry(_time);
        registry.Observe("c", "d", TimeSpan.FromMilliseconds(5), failed: false, Window);
        registry.Observe("c", "d", TimeSpan.FromMilliseconds(50), failed: false, Window);

        Assert.Equal(0.050, registry.Estimate("c", "d", Window), 6);
    }

    [Fact]
    public void Estimate_WithoutSamples_DecaysOverTheWindow()
    {
        var registry = new PeakEwmaRegistry(_time);
        registry.Observe("c", "d", TimeSpan.FromMilliseconds(100), failed: false, Window);

        _time.Advance(Window);

        Assert.Equal(0.100 / Math.E, registry.Estimate("c", "d", Window), 6);
        Assert.Equal(0, registry.Estimate("c", "never", Window));
    }

    [Fact]
    public void Observe_FastFailure_CountsAsSlow()
    {
        var registry = new PeakEwmaRegistry(_time);
        registry.Observe("c", "d", TimeSpan.FromMilliseconds(1), failed: true, Window);

        Assert.Equal(LoadBalancingConstants.FailurePenaltyFloor.TotalSeconds, registry.Estimate("c", "d", Window), 6);
    }

    [Fact]
    public void Observe_SampleBelowEstimate_MovesTowardsItByElapsedWeight()
    {
        var registry = new PeakEwmaRegistry(_time);
        registry.Observe("c", "d", TimeSpan.FromMilliseconds(100), failed: false, Window);
        _time.Advance(Window);

        registry.Observe("c", "d", TimeSpan.FromMilliseconds(10), failed: false, Window);

        var decay = 1 / Math.E;
        Assert.Equal((0.100 * decay) + (0.010 * (1 - decay)), registry.Estimate("c", "d", Window), 6);
    }
}
