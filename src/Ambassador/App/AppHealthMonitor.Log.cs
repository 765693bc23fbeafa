namespace Ambassador.App;

internal sealed partial class AppHealthMonitor
{
    private void LogHealthChanged(Uri probe, AppHealth before, AppHealth after, string detail)
    {
        if (after == AppHealth.Healthy)
        {
            LogHealthy(_logger, probe, before, detail);
        }
        else
        {
            LogUnhealthy(_logger, probe, before, detail);
        }
    }

    [LoggerMessage(EventId = 801, EventName = "AppHealthy", Level = LogLevel.Information, Message = "App at {Probe} is healthy (was {Before}; last probe: {Detail})")]
    private static partial void LogHealthy(ILogger logger, Uri probe, AppHealth before, string detail);

    [LoggerMessage(EventId = 802, EventName = "AppUnhealthy", Level = LogLevel.Warning, Message = "App at {Probe} is unhealthy (was {Before}; last probe: {Detail})")]
    private static partial void LogUnhealthy(ILogger logger, Uri probe, AppHealth before, string detail);
}
