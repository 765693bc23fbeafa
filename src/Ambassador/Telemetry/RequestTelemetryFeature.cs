using System.Diagnostics;

namespace Ambassador.Telemetry;

/// <summary>
/// Per-request telemetry state, allocated only when something will read it (the access log is on or the request's
/// server span is recorded). The innermost proxy step counts attempts on it; the client-span enricher finds it through
/// the server span's custom property, because the HttpClient activity sees neither the HttpContext nor YARP's state.
/// </summary>
internal sealed class RequestTelemetryFeature(HttpContext context, DateTimeOffset startTime)
{
    /// <summary>The custom-property key on the server <see cref="Activity"/>.</summary>
    public const string ActivityPropertyName = "ambassador.request";

    private int _attempts;

    /// <summary>The request this state belongs to.</summary>
    public HttpContext Context { get; } = context;

    /// <summary>When the request arrived (access log timestamp).</summary>
    public DateTimeOffset StartTime { get; } = startTime;

    /// <summary>Upstream attempts started so far (0 when the request never reached the forwarder).</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Called once per upstream attempt, before the forwarder sends it; returns the attempt number (1-based).</summary>
    public int OnAttemptStarted() => Interlocked.Increment(ref _attempts);

    /// <summary>Finds the state of the request an activity (an HttpClient span) belongs to, walking up in-process parents.</summary>
    public static RequestTelemetryFeature? FromActivity(Activity? activity)
    {
        // The server span is normally the direct parent; a policy's own span may sit in between.
        for (var depth = 0; activity is not null && depth < 4; depth++, activity = activity.Parent)
        {
            if (activity.GetCustomProperty(ActivityPropertyName) is RequestTelemetryFeature feature)
            {
                return feature;
            }
        }

        return null;
    }
}
