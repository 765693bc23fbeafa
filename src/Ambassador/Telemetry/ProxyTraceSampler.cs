using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Ambassador.Telemetry;

/// <summary>
/// The tracer's sampler: parent-based over <see cref="ConfigurableRatioSampler"/>, except that an HttpClient span is
/// made only for an upstream attempt of a proxied request. Deciding here, before the activity exists, means a background
/// call (discovery's long-polling, under no context or an inherited one) creates no activity at all, instead of one that
/// is created and then unrecorded.
/// </summary>
internal sealed class ProxyTraceSampler(ConfigurableRatioSampler ratio) : Sampler
{
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    private readonly ParentBasedSampler _inner = new(ratio);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        if (samplingParameters.Kind == ActivityKind.Client
            && string.Equals(samplingParameters.Name, AttemptSpanEnricher.HttpClientActivityName, StringComparison.Ordinal)
            && !IsUnderProxiedRequest(samplingParameters.ParentContext))
        {
            return Drop;
        }

        return _inner.ShouldSample(samplingParameters);
    }

    /// <summary>
    /// HttpClient starts its activity with the current one as implicit parent, so while it samples, Activity.Current is
    /// that parent (checked by span id, in case a caller passed another parent).
    /// </summary>
    private static bool IsUnderProxiedRequest(ActivityContext parent)
    {
        var current = Activity.Current;
        return current is not null && current.SpanId == parent.SpanId && AttemptSpanEnricher.IsPartOfRequest(current);
    }
}
