using Ambassador.App;

namespace Ambassador.Tests.App;

public sealed class AppHealthStateTests
{
    private const ProbeOutcome P = ProbeOutcome.Passing;
    private const ProbeOutcome W = ProbeOutcome.Warning;
    private const ProbeOutcome F = ProbeOutcome.Failing;

    private static AppHealth[] Run(int healthy, int unhealthy, params ProbeOutcome[] outcomes)
    {
        var state = new AppHealthState();
        return outcomes.Select(o =>
        {
            state.Record(o, healthy, unhealthy);
            return state.Health;
        }).ToArray();
    }

    [Fact]
    public void Record_DefaultThresholds_OneFailureDoesNotFlip()
    {
        var h = AppHealth.Healthy;
        var u = AppHealth.Unhealthy;
        Assert.Equal([h, h, h, h, u, h], Run(1, 2, P, F, P, F, F, P));
    }

    [Fact]
    public void Record_HealthyThresholdTwo_NeedsTwoPassesToRecover()
    {
        var k = AppHealth.Unknown;
        var h = AppHealth.Healthy;
        var u = AppHealth.Unhealthy;
        Assert.Equal([k, h, u, u, h], Run(2, 1, P, P, F, P, P));
    }

    [Fact]
    public void Record_BeforeAnyThreshold_StaysUnknown()
    {
        Assert.Equal([AppHealth.Unknown, AppHealth.Unknown], Run(3, 3, F, P));
    }

    [Fact]
    public void Record_Warning_CountsAsSuccess()
    {
        var state = new AppHealthState();
        Assert.True(state.Record(W, 1, 1));
        Assert.Equal(AppHealth.Healthy, state.Health);
        Assert.Equal(1, state.ConsecutiveSuccesses);
    }

    [Fact]
    public void Record_ReturnsTrueOnlyWhenHealthChanges()
    {
        var state = new AppHealthState();
        Assert.Equal([true, false, false, true, false], new[] { P, P, F, F, F }.Select(o => state.Record(o, 1, 2)).ToArray());
    }
}
