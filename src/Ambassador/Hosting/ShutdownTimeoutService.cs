using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Sets the host's shutdown timeout to the longest pre-stop actions (<see cref="IPreStopAction.MaxDuration"/>, e.g. the
/// Consul deregistration) + <see cref="LifecycleOptions.PreStopDelay"/> + <see cref="LifecycleOptions.DrainTimeout"/> from
/// the validated options, when the host starts: all three run in turn under the host's one stop token, so each keeps its
/// full time. The host reads <see cref="HostOptions.ShutdownTimeout"/> when it stops, from the options instance it was
/// built with; before start the configuration is not validated yet.
/// </summary>
internal sealed class ShutdownTimeoutService(IOptions<HostOptions> host, IOptionsMonitor<LifecycleOptions> lifecycle, IEnumerable<IPreStopAction> actions) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var options = lifecycle.CurrentValue;
        var preStop = actions.Aggregate(TimeSpan.Zero, (sum, action) => sum + action.MaxDuration);
        host.Value.ShutdownTimeout = preStop + options.PreStopDelay + options.DrainTimeout;
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
