using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Keeps the listeners accepting for <see cref="LifecycleOptions.PreStopDelay"/> after SIGTERM, so Kubernetes
/// can take the pod out of its endpoints before connections are refused. The host runs every
/// <see cref="IHostedLifecycleService.StoppingAsync"/> before it stops any service (Kestrel included), after
/// ApplicationStopping has fired, so <c>/readyz</c> already answers 503 during the delay.
/// </summary>
/// <remarks>Every <see cref="IPreStopAction"/> runs first, so e.g. Consul deregistration precedes the delay.</remarks>
internal sealed class PreStopDelayService(IOptionsMonitor<LifecycleOptions> options, TimeProvider time, IEnumerable<IPreStopAction> actions) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        foreach (var action in actions)
        {
            await action.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        var delay = options.CurrentValue.PreStopDelay;
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
