using System.Net.Sockets;
using Ambassador.Policies.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Logging;

/// <summary>
/// The lines an operator reads when upstreams fail: one per destination and kind of failure per interval for
/// failed attempts (retried or not), and one per cluster and kind per interval for requests that failed to the
/// client. Expected network errors are one line without a stack trace; anything else keeps its exception.
/// </summary>
/// <remarks>
/// YARP's forwarder logs every failed attempt as a warning with the exception; under an instance outage that is
/// a stack trace per attempt, most of them retried successfully. Its category is set to Error in the embedded
/// defaults and these lines take its place. Every attempt is still counted in <c>ambassador.upstream.attempts</c>
/// and shown on its span; the logs say what changed.
/// </remarks>
internal sealed partial class UpstreamFailureLog
{
    /// <summary>Repeats of one failure within this interval are counted into the next line, not logged.</summary>
    public static readonly TimeSpan RepeatInterval = TimeSpan.FromSeconds(10);

    private readonly LogThrottle<FailureKey> _throttle;
    private readonly ILogger _logger;

    public UpstreamFailureLog(TimeProvider time, ILogger<UpstreamFailureLog> logger)
    {
        _throttle = new LogThrottle<FailureKey>(time, RepeatInterval);
        _logger = logger;
    }

    /// <summary>Called after each upstream attempt that the forwarder marked failed.</summary>
    public static void OnAttemptEnded(HttpContext context, string clusterId, DestinationState destination)
    {
        if (context.Features.Get<IForwarderErrorFeature>() is not { } error || IsClientSide(error.Error))
        {
            return;
        }

        var log = context.RequestServices.GetRequiredService<UpstreamFailureLog>();
        var key = new FailureKey(clusterId, destination.DestinationId, error.Error, error.Exception?.GetType(), Final: false);
        if (log._throttle.ShouldLog(key, out var suppressed) && log._logger.IsEnabled(LogLevel.Warning))
        {
            var address = destination.Model?.Config.Address ?? "";
            if (IsExpected(error.Exception))
            {
                LogAttemptFailed(log._logger, clusterId, destination.DestinationId, address, Describe(error), suppressed);
            }
            else
            {
                LogAttemptFailedUnexpectedly(log._logger, clusterId, destination.DestinationId, address, error.Error, suppressed, error.Exception);
            }
        }
    }

    /// <summary>Called once per request after the policy's last attempt, with the forwarder's error it left.</summary>
    public static void OnRequestEnded(HttpContext context, IForwarderErrorFeature error)
    {
        if (IsClientSide(error.Error))
        {
            return;
        }

        var proxy = context.GetReverseProxyFeature();
        var routeId = proxy.Route.Config.RouteId;
        var clusterId = proxy.Cluster?.Config.ClusterId ?? "";

        var log = context.RequestServices.GetRequiredService<UpstreamFailureLog>();
        var key = new FailureKey(clusterId, null, error.Error, error.Exception?.GetType(), Final: true);
        if (log._throttle.ShouldLog(key, out var suppressed) && log._logger.IsEnabled(LogLevel.Warning))
        {
            var destination = proxy.ProxiedDestination?.DestinationId ?? "(none)";
            LogRequestFailed(log._logger, routeId, clusterId, context.Response.StatusCode, destination, Describe(error), suppressed);
        }
    }

    /// <summary>Failures on the client's side of the proxy (it went away, its body broke) are not the upstream's.</summary>
    private static bool IsClientSide(ForwarderError error) => error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
        or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
        or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseCanceled
        or ForwarderError.UpgradeResponseClient or ForwarderError.NoAvailableDestinations;

    private static bool IsExpected(Exception? exception) =>
        exception is null or HttpRequestException or IOException or SocketException or OperationCanceledException or TimeoutException;

    private static string Describe(IForwarderErrorFeature error)
    {
        var innermost = error.Exception;
        while (innermost?.InnerException is not null && innermost is not SocketException)
        {
            innermost = innermost.InnerException;
        }

        return innermost is null ? error.Error.ToString() : $"{error.Error}: {innermost.Message}";
    }

    private readonly record struct FailureKey(string ClusterId, string? DestinationId, ForwarderError Error, Type? ExceptionType, bool Final);
}
