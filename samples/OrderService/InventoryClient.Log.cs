namespace OrderService;

internal sealed partial class InventoryClient
{
    [LoggerMessage(1, LogLevel.Warning, "The ambassador sidecar at {Sidecar} is not reachable: {Reason}")]
    private static partial void LogSidecarUnreachable(ILogger logger, Uri sidecar, string reason);

    [LoggerMessage(2, LogLevel.Warning, "No answer through the ambassador sidecar at {Sidecar} within {Timeout}.")]
    private static partial void LogSidecarTimeout(ILogger logger, Uri sidecar, TimeSpan timeout);

    [LoggerMessage(3, LogLevel.Warning, "The ambassador answered {Status} with x-ambassador-error: {Reason}.")]
    private static partial void LogSidecarError(ILogger logger, int status, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Inventory answered {Status} after the ambassador's last attempt.")]
    private static partial void LogUpstreamError(ILogger logger, int status);
}
