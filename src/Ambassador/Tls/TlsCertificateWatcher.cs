using Microsoft.Extensions.Options;

namespace Ambassador.Tls;

/// <summary>
/// Checks certificate files for changes every <see cref="TlsOptions.ReloadInterval"/>. Polling file contents (a hash,
/// not timestamps) also notices Kubernetes secret updates, which swap a symlink rather than write the file.
/// </summary>
internal sealed partial class TlsCertificateWatcher(TlsCertificateStore store, IOptionsMonitor<TlsOptions> options, TimeProvider time, ILogger<TlsCertificateWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = options.CurrentValue.ReloadInterval;
            try
            {
                await Task.Delay(interval > TimeSpan.Zero ? interval : TlsOptionTable.ReloadInterval.Default, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                store.Refresh();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                LogCheckFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 510, EventName = "TlsCertificateCheckFailed", Level = LogLevel.Error, Message = "Checking TLS certificate files failed: {Problem}")]
    private static partial void LogCheckFailed(ILogger logger, string problem);
}
