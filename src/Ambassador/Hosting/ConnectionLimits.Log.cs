namespace Ambassador.Hosting;

internal sealed partial class ConnectionLimits
{
    [LoggerMessage(EventId = 1501, EventName = "ConnectionLimitReached", Level = LogLevel.Warning,
        Message = "The proxy listeners hold {MaxConnections} connections (Ambassador:Limits:MaxConnections); new connections are refused until one closes. {Suppressed} more were refused in the previous interval.")]
    private static partial void LogAtLimit(ILogger logger, int maxConnections, int suppressed);
}
