using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Keeps the listeners accepting for <see cref="LifecycleOptions.PreStopDelay"/> after SIGTERM, so Kubernetes
/// can take the pod out of its endpoints before connections are refused. Registered after the web server,
/// so it stops first (hosted services stop in reverse order).
/// </summary>
internal sealed class PreStopDelayService(IOptionsMonitor<LifecycleOptions> options, TimeProvider time) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
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
}
