namespace InventoryService.Consul;

internal sealed partial class ConsulRegistrationService
{
    [LoggerMessage(1, LogLevel.Information, "Registered in Consul as service '{Service}', id '{ServiceId}', at {Address}:{Port}.")]
    private static partial void LogRegistered(ILogger logger, string service, string serviceId, string address, int port);

    [LoggerMessage(2, LogLevel.Warning, "Consul registration of '{ServiceId}' failed ({Reason}); retrying in {Delay}.")]
    private static partial void LogRegistrationFailed(ILogger logger, string serviceId, string reason, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Information, "Deregistered '{ServiceId}' from Consul.")]
    private static partial void LogDeregistered(ILogger logger, string serviceId);

    [LoggerMessage(4, LogLevel.Warning, "Consul deregistration of '{ServiceId}' failed ({Reason}); Consul drops it once its check is critical long enough.")]
    private static partial void LogDeregistrationFailed(ILogger logger, string serviceId, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Not registering in Consul: no listening address is known; set Consul:ServiceAddress and Consul:ServicePort.")]
    private static partial void LogNoListeningAddress(ILogger logger);
}
