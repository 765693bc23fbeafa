using System.Diagnostics;
using OpenTelemetry;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Telemetry;

/// <summary>
/// Makes each upstream attempt's client span (System.Net.Http's built-in activity, one per send) tell which attempt it
/// is and which destination it went to. YARP's own <c>proxy.forwarder</c> activity is not used: it is one per request,
/// not per attempt. A span processor rather than a DiagnosticListener subscription: the SDK calls it only for recorded
/// spans, and HttpClient then has no listener to write its diagnostic events to.
/// </summary>
internal sealed class AttemptSpanEnricher : BaseProcessor<Activity>
{
    /// <summary>The built-in HttpClient activity source (one client activity per request sent).</summary>
    public const string HttpClientSourceName = "System.Net.Http";

    /// <summary>The operation name of that source's activity, as samplers see it.</summary>
    public const string HttpClientActivityName = "System.Net.Http.HttpRequestOut";

    /// <summary>
    /// Whether a client activity about to be created under <paramref name="parent"/> is an upstream attempt of a proxied
    /// request, i.e. sits under a recorded server span that carries request state. Background calls (discovery's
    /// long-polling) would otherwise start traces of their own, or hang under whichever request's context a background
    /// loop happened to inherit.
    /// </summary>
    public static bool IsPartOfRequest(Activity? parent) => RequestTelemetryFeature.FromActivity(parent) is not null;

    /// <summary>Called by the SDK when a recorded activity starts: HttpClient has not sent the request yet.</summary>
    public override void OnStart(Activity data)
    {
        if (data.Kind != ActivityKind.Client || !string.Equals(data.Source.Name, HttpClientSourceName, StringComparison.Ordinal))
        {
            return;
        }

        var feature = RequestTelemetryFeature.FromActivity(data.Parent);
        if (feature is null)
        {
            return;
        }

        var attempt = feature.Attempts;
        if (attempt > 0)
        {
            data.SetTag(TelemetryConstants.AttemptAttribute, attempt);
        }

        if (attempt > 1)
        {
            data.SetTag(TelemetryConstants.ResendCountAttribute, attempt - 1);
        }

        // The forwarder sets ProxiedDestination right before it sends, so this is the destination of this attempt.
        if (feature.Context.Features.Get<IReverseProxyFeature>()?.ProxiedDestination is { } destination)
        {
            data.SetTag(TelemetryConstants.DestinationIdAttribute, destination.DestinationId);
        }
    }
}
