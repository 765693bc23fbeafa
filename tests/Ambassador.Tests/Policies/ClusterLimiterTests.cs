using System.Diagnostics.Metrics;
using Ambassador.Policies.Limits;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class ClusterLimiterTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task RunAsync_InFlightAndQueueFull_RejectsAtOnceWithoutRunning()
    {
        using var limiter = Create(new LimitsPolicyOptions { MaxConcurrentRequests = 1, MaxQueuedRequests = 1 });
        var release = new TaskCompletionSource();
        var first = limiter.RunAsync(new DefaultHttpContext(), _ => release.Task).AsTask();
        var queued = limiter.RunAsync(new DefaultHttpContext(), _ => Task.CompletedTask).AsTask();
        Assert.Equal(1, limiter.InFlight);
        Assert.Equal(1, limiter.Queued);

        var ran = false;
        var rejected = await limiter.RunAsync(new DefaultHttpContext(), _ =>
        {
            ran = true;
            return Task.CompletedTask;
        });

        Assert.Equal(LimitRejection.QueueFull, rejected);
        Assert.False(ran);
        release.SetResult();
        Assert.Equal(LimitRejection.None, await first);
        Assert.Equal(LimitRejection.None, await queued);
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public async Task RunAsync_QueuedPastQueueTimeout_QueueTimeout()
    {
        using var limiter = Create(new LimitsPolicyOptions { MaxConcurrentRequests = 1, MaxQueuedRequests = 1, QueueTimeout = TimeSpan.FromSeconds(1) });
        var release = new TaskCompletionSource();
        var first = limiter.RunAsync(new DefaultHttpContext(), _ => release.Task).AsTask();
        var queued = limiter.RunAsync(new DefaultHttpContext(), _ => Task.CompletedTask).AsTask();
        Assert.False(queued.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(LimitRejection.QueueTimeout, await queued);
        Assert.Equal(0, limiter.Queued);
        release.SetResult();
        await first;
    }

    [Fact]
    public void TryAcquireRetry_LimitReached_Refused()
    {
        using var limiter = Create(new LimitsPolicyOptions { MaxConcurrentRetries = 2 });
        var contexts = Enumerable.Range(0, 3).Select(_ => new DefaultHttpContext()).ToList();

        Assert.True(limiter.TryAcquireRetry(contexts[0]));
        Assert.True(limiter.TryAcquireRetry(contexts[1]));
        Assert.False(limiter.TryAcquireRetry(contexts[2]));
        Assert.Equal(2, limiter.RetriesInFlight);
    }

    [Fact]
    public void TryAcquireRetry_ZeroRetries_AlwaysRefused()
    {
        using var limiter = Create(new LimitsPolicyOptions { MaxConcurrentRetries = 0 });
        Assert.False(limiter.TryAcquireRetry(new DefaultHttpContext()));
    }

    private ClusterLimiter Create(LimitsPolicyOptions options)
        => new("c", options, _time, new LimitsTelemetry(_services.GetRequiredService<IMeterFactory>()));
}
