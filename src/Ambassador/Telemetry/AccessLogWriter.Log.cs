namespace Ambassador.Telemetry;

internal sealed partial class AccessLogWriter
{
    [LoggerMessage(EventId = 600, EventName = "AccessLogLinesDropped", Level = LogLevel.Warning,
        Message = "Access log lines are being dropped: stdout does not keep up ({Capacity} lines queued). Further drops are not logged.")]
    private static partial void LogLinesDropped(ILogger logger, int capacity);

    [LoggerMessage(EventId = 601, EventName = "AccessLogOutputFailed", Level = LogLevel.Error,
        Message = "Access log output failed; access logging stops, proxying goes on.")]
    private static partial void LogOutputFailed(ILogger logger, Exception exception);
}
