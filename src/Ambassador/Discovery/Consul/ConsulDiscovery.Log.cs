
namespace Ambassador.Discovery.Consul;

internal sealed partial class ConsulDiscovery
{
    private static partial class Log
    {
        [LoggerMessage(220, LogLevel.Information, "Consul discovery options changed; restarting the service watches.", EventName = "ConsulOptionsChanged")]
        public static partial void OptionsChanged(ILogger logger);

        [LoggerMessage(221, LogLevel.Information, "No cluster names Consul service(s) {Services} any more; their watches stopped.", EventName = "ConsulWatchesStopped")]
        public static partial void WatchesStopped(ILogger logger, string services);
    }
}
