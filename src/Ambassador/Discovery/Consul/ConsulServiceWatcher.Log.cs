
namespace Ambassador.Discovery.Consul;

internal sealed partial class ConsulServiceWatcher
{
    private static partial class Log
    {
        [LoggerMessage(201, LogLevel.Debug, "Watching Consul service '{Service}'.", EventName = "ConsulWatchStarted")]
        public static partial void WatchStarted(ILogger logger, string service);

        [LoggerMessage(202, LogLevel.Information, "Consul service '{Service}' now has {Count} destination(s) (index {Index}).", EventName = "ConsulDestinationsChanged")]
        public static partial void DestinationsChanged(ILogger logger, string service, int count, long index);

        [LoggerMessage(203, LogLevel.Warning, "Consul query for service '{Service}' is failing ({Kind}): {Message}. Keeping the last known {Count} destination(s) and backing off.", EventName = "ConsulQueryFailing")]
        public static partial void QueryFailing(ILogger logger, string service, ConsulErrorKind kind, string message, int count);

        [LoggerMessage(204, LogLevel.Information, "Consul query for service '{Service}' recovered with {Count} destination(s).", EventName = "ConsulQueryRecovered")]
        public static partial void QueryRecovered(ILogger logger, string service, int count);

        [LoggerMessage(205, LogLevel.Information, "Consul index for service '{Service}' went backwards ({Sent} -> {Returned}); reset to 0.", EventName = "ConsulIndexReset")]
        public static partial void IndexReset(ILogger logger, string service, long sent, long returned);

        [LoggerMessage(207, LogLevel.Debug, "Consul query for service '{Service}' still failing, now ({Kind}): {Message}.", EventName = "ConsulQueryFailureChanged")]
        public static partial void FailureChanged(ILogger logger, string service, ConsulErrorKind kind, string message);

        [LoggerMessage(206, LogLevel.Error, "Unexpected error in the Consul watch of service '{Service}'.", EventName = "ConsulWatchError")]
        public static partial void UnexpectedError(ILogger logger, string service, Exception exception);
    }
}
