using Microsoft.Extensions.Logging;

namespace Ambassador.Policies.Telemetry;

internal sealed partial class ResilienceTelemetry
{
    [LoggerMessage(EventId = 4201, EventName = "Retrying", Level = LogLevel.Debug,
        Message = "Cluster '{ClusterId}': retrying after '{Reason}', attempt {Attempt} in {DelayMs} ms.")]
    private static partial void LogRetrying(ILogger logger, string clusterId, string reason, int attempt, double delayMs);

    [LoggerMessage(EventId = 4202, EventName = "RetryBudgetRefused", Level = LogLevel.Debug,
        Message = "Cluster '{ClusterId}': retry after '{Reason}' refused, the retry budget is spent.")]
    private static partial void LogBudgetRefused(ILogger logger, string clusterId, string reason);

    [LoggerMessage(EventId = 4203, EventName = "UpstreamTimedOut", Level = LogLevel.Warning,
        Message = "Cluster '{ClusterId}': timed out after {Attempts} attempt(s); {Suppressed} more requests timed out in the previous interval.")]
    private static partial void LogTimedOut(ILogger logger, string clusterId, int attempts, int suppressed);
}
