using Ambassador.Policies.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class RequestDeadlineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void StartAttempt_PerTryElapses_CancelsAttemptOnly()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.True(deadline.StartAttempt());

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(deadline.AttemptToken.IsCancellationRequested);
        Assert.True(deadline.PerTryFired);
        Assert.False(deadline.RequestToken.IsCancellationRequested);
        Assert.False(deadline.TotalFired);
    }

    [Fact]
    public void StartAttempt_AfterPerTryFired_FreshAttemptToken()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), CancellationToken.None);
        deadline.StartAttempt();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(deadline.StartAttempt());

        Assert.False(deadline.AttemptToken.IsCancellationRequested);
        Assert.False(deadline.PerTryFired);
    }

    [Fact]
    public void DisarmPerTry_ResponseStreaming_OnlyTotalCancels()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1), CancellationToken.None);
        deadline.StartAttempt();
        deadline.DisarmPerTry();

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(deadline.AttemptToken.IsCancellationRequested);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(deadline.TotalFired);
        Assert.True(deadline.AttemptToken.IsCancellationRequested);
        Assert.True(deadline.RequestToken.IsCancellationRequested);
    }

    [Fact]
    public void StartAttempt_TotalPassed_False()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(1), null, CancellationToken.None);
        deadline.StartAttempt();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(deadline.StartAttempt());
        Assert.Equal(TimeSpan.Zero, deadline.Remaining);
    }

    [Fact]
    public void Start_ClientAborts_CancelsRequestAndAttempt()
    {
        using var client = new CancellationTokenSource();
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), client.Token);
        deadline.StartAttempt();

        client.Cancel();

        Assert.True(deadline.RequestToken.IsCancellationRequested);
        Assert.True(deadline.AttemptToken.IsCancellationRequested);
        Assert.False(deadline.TotalFired);
    }

    [Fact]
    public void TryReset_NothingFired_ReusableAndTimerStopped()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), CancellationToken.None);
        deadline.StartAttempt();

        Assert.True(deadline.TryReset());

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.False(deadline.AttemptToken.IsCancellationRequested);
        Assert.False(deadline.RequestToken.IsCancellationRequested);
    }

    [Fact]
    public void TryReset_AfterPerTryFired_NotReusable()
    {
        using var deadline = new RequestDeadline(_time);
        deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), CancellationToken.None);
        deadline.StartAttempt();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(deadline.TryReset());
    }
}
