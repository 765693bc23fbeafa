using Ambassador.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ambassador.Tests.Hosting;

public sealed class ShutdownTimeoutServiceTests
{
    [Fact]
    public async Task StartingAsync_WithPreStopActions_AddsTheirBoundToPreStopDelayAndDrain()
    {
        var host = Options.Create(new HostOptions());
        var lifecycle = new StaticOptions(new LifecycleOptions { PreStopDelay = TimeSpan.FromSeconds(5), DrainTimeout = TimeSpan.FromSeconds(10) });
        var service = new ShutdownTimeoutService(host, lifecycle, [new BoundedAction(TimeSpan.FromSeconds(2)), new BoundedAction(TimeSpan.Zero)]);

        await service.StartingAsync(CancellationToken.None);

        // A deregistration that hangs for its whole 2 s must not take those 2 s from the drain.
        Assert.Equal(TimeSpan.FromSeconds(17), host.Value.ShutdownTimeout);
    }

    [Fact]
    public async Task StartingAsync_NoPreStopActions_IsPreStopDelayPlusDrain()
    {
        var host = Options.Create(new HostOptions());
        var lifecycle = new StaticOptions(new LifecycleOptions { DrainTimeout = TimeSpan.FromSeconds(10) });
        var service = new ShutdownTimeoutService(host, lifecycle, []);

        await service.StartingAsync(CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(10), host.Value.ShutdownTimeout);
    }

    private sealed class BoundedAction(TimeSpan bound) : IPreStopAction
    {
        public TimeSpan MaxDuration => bound;

        public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class StaticOptions(LifecycleOptions value) : IOptionsMonitor<LifecycleOptions>
    {
        public LifecycleOptions CurrentValue => value;

        public LifecycleOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LifecycleOptions, string?> listener) => null;
    }
}
