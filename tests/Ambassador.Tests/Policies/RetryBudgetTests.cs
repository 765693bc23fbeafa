using Ambassador.Policies.Budget;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class RetryBudgetTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryWithdraw_NoTraffic_FloorAllowsMinPerSecondTimesWindow()
    {
        var budget = new RetryBudget(_time);
        var options = new RetryBudgetOptions { Ratio = 0.2, MinPerSecond = 1 };

        var allowed = Withdraw(budget, options, 100);

        Assert.Equal(10, allowed);
    }

    [Fact]
    public void TryWithdraw_RatioOfRecentRequests_Allowed()
    {
        var budget = new RetryBudget(_time);
        var options = new RetryBudgetOptions { Ratio = 0.2, MinPerSecond = 0 };
        for (var i = 0; i < 100; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(20, Withdraw(budget, options, 100));
        Assert.Equal(100, budget.Requests);
        Assert.Equal(20, budget.Retries);
    }

    [Fact]
    public void TryWithdraw_RatioPlusFloor_Combined()
    {
        var budget = new RetryBudget(_time);
        var options = new RetryBudgetOptions { Ratio = 0.5, MinPerSecond = 2 };
        for (var i = 0; i < 10; i++)
        {
            budget.RecordRequest();
        }

        // 0.5 x 10 requests + 2/s x 10 s.
        Assert.Equal(25, Withdraw(budget, options, 100));
    }

    [Fact]
    public void TryWithdraw_ZeroRatioZeroFloor_NeverAllowed()
    {
        var budget = new RetryBudget(_time);
        budget.RecordRequest();

        Assert.False(budget.TryWithdraw(new RetryBudgetOptions { Ratio = 0, MinPerSecond = 0 }));
    }

    [Fact]
    public void Window_AfterTenSeconds_OldRequestsAndRetriesExpire()
    {
        var budget = new RetryBudget(_time);
        var options = new RetryBudgetOptions { Ratio = 0.2, MinPerSecond = 0 };
        for (var i = 0; i < 100; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(20, Withdraw(budget, options, 100));

        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(0, budget.Requests);
        Assert.Equal(0, budget.Retries);
        Assert.False(budget.TryWithdraw(options));
    }

    [Fact]
    public void Window_Slides_OneSecondBucketsExpireInOrder()
    {
        var budget = new RetryBudget(_time);
        var options = new RetryBudgetOptions { Ratio = 0.1, MinPerSecond = 0 };
        for (var i = 0; i < 50; i++)
        {
            budget.RecordRequest();
        }

        _time.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 50; i++)
        {
            budget.RecordRequest();
        }

        Assert.Equal(100, budget.Requests);
        Assert.Equal(10, Withdraw(budget, options, 100));

        // The first second's 50 requests leave the window; the 10 retries made at t=5 s stay.
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(50, budget.Requests);
        Assert.Equal(10, budget.Retries);
        Assert.False(budget.TryWithdraw(options));

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, budget.Requests);
        Assert.Equal(0, budget.Retries);
    }

    [Fact]
    public void Registry_SameCluster_SameBudget()
    {
        var registry = new RetryBudgetRegistry(_time);

        Assert.Same(registry.Get("a"), registry.Get("a"));
        Assert.NotSame(registry.Get("a"), registry.Get("b"));
    }

    private static int Withdraw(RetryBudget budget, RetryBudgetOptions options, int attempts)
    {
        var allowed = 0;
        for (var i = 0; i < attempts; i++)
        {
            if (budget.TryWithdraw(options))
            {
                allowed++;
            }
        }

        return allowed;
    }
}
