using System.Diagnostics;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Telemetry;

/// <summary>
/// Makes each upstream attempt's client span (System.Net.Http's, one per send) tell which attempt it is and which
/// destination it went to. YARP's own <c>proxy.forwarder</c> activity is not used: it is one per request, not per attempt.
/// </summary>
internal static class AttemptSpanEnricher
{
    /// <summary>
    /// HttpClient filter (runs after sampling, with the new client activity current): keep only the client spans of a
    /// proxied attempt, i.e. those under a recorded server span that carries request state. Background calls
    /// (discovery's long-polling) would otherwise start traces of their own, or hang under whichever request's
    /// context a background loop happened to inherit.
    /// </summary>
    public static bool IsPartOfRequest(HttpRequestMessage request) =>
        RequestTelemetryFeature.FromActivity(Activity.Current?.Parent) is not null;

    /// <summary>HttpClient enrich callback, called only for recorded spans when the request message is created.</summary>
    public static void Enrich(Activity activity, HttpRequestMessage request)
    {
        var feature = RequestTelemetryFeature.FromActivity(activity.Parent);
        if (feature is null)
        {
            return;
        }

        var attempt = feature.Attempts;
        if (attempt > 0)
        {
            activity.SetTag(TelemetryConstants.AttemptAttribute, attempt);
        }

        if (attempt > 1)
        {
            activity.SetTag(TelemetryConstants.ResendCountAttribute, attempt - 1);
        }

        // The forwarder sets ProxiedDestination right before it sends, so this is the destination of this attempt.
        if (feature.Context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination is { } destination)
        {
            activity.SetTag(TelemetryConstants.DestinationIdAttribute, destination.DestinationId);
        }
    }
}
