namespace Ambassador.Hosting;

internal sealed partial class H2cPriorKnowledge
{
    [LoggerMessage(EventId = 1301, EventName = "ClosedBeforeProtocolDecision", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} closed before its first request bytes ({Reason}).")]
    private static partial void LogClosedBeforeDecision(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 1302, EventName = "ProtocolDecisionTimedOut", Level = LogLevel.Debug,
        Message = "Connection {ConnectionId} sent no request within {Timeout}; closed.")]
    private static partial void LogTimedOut(ILogger logger, string connectionId, TimeSpan timeout);

    [LoggerMessage(EventId = 1303, EventName = "H2cSpliceEnded", Level = LogLevel.Debug,
        Message = "h2c connection {ConnectionId} ended ({Reason}).")]
    private static partial void LogSpliceEnded(ILogger logger, string connectionId, string reason);
}
