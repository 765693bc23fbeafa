namespace Ambassador.Registration;

internal sealed partial class ConsulRegistrar
{
    [LoggerMessage(EventId = 901, EventName = "Registered", Level = LogLevel.Information, Message = "Registered service '{Name}' as '{Id}' at '{Address}':{Port} in Consul (check {Check})")]
    private static partial void LogRegistered(ILogger logger, string name, string id, string address, int port, string check);

    [LoggerMessage(EventId = 902, EventName = "Forgotten", Level = LogLevel.Warning, Message = "Consul no longer knows service '{Name}' ('{Id}', agent restarted?); registering it again")]
    private static partial void LogForgotten(ILogger logger, string name, string id);

    [LoggerMessage(EventId = 903, EventName = "RegistryUnavailable", Level = LogLevel.Warning, Message = "Consul registration failing, retrying with back-off: {Error}")]
    private static partial void LogUnavailable(ILogger logger, string error);

    [LoggerMessage(EventId = 904, EventName = "RegistryRecovered", Level = LogLevel.Information, Message = "Consul registration working again")]
    private static partial void LogRecovered(ILogger logger);

    [LoggerMessage(EventId = 905, EventName = "WaitingForApp", Level = LogLevel.Information, Message = "Service '{Name}' is registered in Consul once the app is healthy")]
    private static partial void LogWaitingForApp(ILogger logger, string name);

    [LoggerMessage(EventId = 906, EventName = "Deregistered", Level = LogLevel.Information, Message = "Deregistered service '{Name}' ('{Id}') from Consul before stopping")]
    private static partial void LogDeregistered(ILogger logger, string name, string id);

    [LoggerMessage(EventId = 907, EventName = "DeregistrationFailed", Level = LogLevel.Warning, Message = "Could not deregister '{Id}' from Consul ({Error}); Consul removes it once its check has been critical for DeregisterCriticalServiceAfter")]
    private static partial void LogDeregistrationFailed(ILogger logger, string id, string error);

    [LoggerMessage(EventId = 908, EventName = "RegistrationRetry", Level = LogLevel.Debug, Message = "Consul registration retry in {Delay}")]
    private static partial void LogRetrying(ILogger logger, TimeSpan delay);
}
