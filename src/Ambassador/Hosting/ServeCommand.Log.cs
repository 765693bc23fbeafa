namespace Ambassador.Hosting;

internal static partial class ServeCommand
{
    [LoggerMessage(EventId = 1, EventName = "Started", Level = LogLevel.Information, Message = "Ambassador started: {Listeners} routes={Routes} clusters={Clusters}")]
    private static partial void LogListening(ILogger logger, string listeners, int routes, int clusters);
}
