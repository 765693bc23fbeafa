namespace Ambassador.Logging;

internal sealed partial class UpstreamFailureLog
{
    [LoggerMessage(EventId = 1401, EventName = "UpstreamAttemptFailed", Level = LogLevel.Warning,
        Message = "Cluster '{ClusterId}' destination '{DestinationId}' ({Address}): attempt failed ({Reason}); {Suppressed} more like it in the previous interval.")]
    private static partial void LogAttemptFailed(ILogger logger, string clusterId, string destinationId, string address, string reason, int suppressed);

    [LoggerMessage(EventId = 1402, EventName = "UpstreamAttemptFailedUnexpectedly", Level = LogLevel.Error,
        Message = "Cluster '{ClusterId}' destination '{DestinationId}' ({Address}): attempt failed unexpectedly ({Error}); {Suppressed} more like it in the previous interval.")]
    private static partial void LogAttemptFailedUnexpectedly(ILogger logger, string clusterId, string destinationId, string address, Yarp.ReverseProxy.Forwarder.ForwarderError error, int suppressed, Exception? exception);

    [LoggerMessage(EventId = 1403, EventName = "UpstreamRequestFailed", Level = LogLevel.Warning,
        Message = "Route '{RouteId}' cluster '{ClusterId}': request answered {Status}, last attempt to '{DestinationId}' failed ({Reason}); {Suppressed} more like it in the previous interval.")]
    private static partial void LogRequestFailed(ILogger logger, string routeId, string clusterId, int status, string destinationId, string reason, int suppressed);
}
