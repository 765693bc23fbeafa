using Microsoft.Extensions.Logging;

namespace Ambassador.Policies.CircuitBreaker;

internal sealed partial class DestinationBreakerRegistry
{
    [LoggerMessage(EventId = 4101, EventName = "CircuitOpened", Level = LogLevel.Warning,
        Message = "Circuit breaker opened for cluster '{ClusterId}' destination '{DestinationId}'; it leaves load balancing for {BreakDuration} (ejection {Ejections}).")]
    private static partial void LogOpened(ILogger logger, string clusterId, string destinationId, TimeSpan breakDuration, int ejections);

    [LoggerMessage(EventId = 4102, EventName = "CircuitHalfOpened", Level = LogLevel.Information,
        Message = "Circuit breaker half-open for cluster '{ClusterId}' destination '{DestinationId}'; sending one probe request.")]
    private static partial void LogHalfOpened(ILogger logger, string clusterId, string destinationId);

    [LoggerMessage(EventId = 4103, EventName = "CircuitClosed", Level = LogLevel.Information,
        Message = "Circuit breaker closed for cluster '{ClusterId}' destination '{DestinationId}'; it is back in load balancing.")]
    private static partial void LogClosed(ILogger logger, string clusterId, string destinationId);

    [LoggerMessage(EventId = 4104, EventName = "EjectionOverflow", Level = LogLevel.Warning,
        Message = "Circuit breaker of cluster '{ClusterId}' destination '{DestinationId}' stays closed: {Ejected} destination(s) are already out, the most MaxEjectionPercent ({MaxEjectionPercent} %) allows; further refusals are counted in ambassador.circuit_breaker.ejections_overflow until one returns.")]
    private static partial void LogEjectionOverflow(ILogger logger, string clusterId, string destinationId, int ejected, int maxEjectionPercent);
}
