using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Sets the host's shutdown timeout to <see cref="LifecycleOptions.PreStopDelay"/> + <see cref="LifecycleOptions.DrainTimeout"/>
/// from the validated options, when the host starts. The host reads <see cref="HostOptions.ShutdownTimeout"/> when it
/// stops, from the options instance it was built with; before start the configuration is not validated yet.
/// </summary>
internal sealed class ShutdownTimeoutService(IOptions<HostOptions> host, IOptionsMonitor<LifecycleOptions> lifecycle) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var options = lifecycle.CurrentValue;
        host.Value.ShutdownTimeout = options.DrainTimeout + options.PreStopDelay;
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
