namespace Ambassador.Hosting;

internal sealed partial class ConnectionLimits
{
    [LoggerMessage(EventId = 1501, EventName = "ConnectionLimitReached", Level = LogLevel.Warning,
        Message = "The proxy listeners hold {MaxConnections} connections (Ambassador:Limits:MaxConnections); new connections wait in the listen backlog until one closes. The limit was reached {Suppressed} more times in the previous interval.")]
    private static partial void LogAtLimit(ILogger logger, int maxConnections, int suppressed);
}
