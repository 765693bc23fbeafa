using System.Globalization;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Ambassador.Telemetry;

/// <summary>
/// The root sampler behind <see cref="ParentBasedSampler"/>: a trace-id ratio sampler whose ratio follows
/// <c>Ambassador:Telemetry:SamplingRatio</c> on hot reload (OpenTelemetry's own sampler is fixed at start).
/// </summary>
internal sealed class ConfigurableRatioSampler : Sampler, IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile TraceIdRatioBasedSampler _inner;

    public ConfigurableRatioSampler(IOptionsMonitor<TelemetryOptions> options)
    {
        _inner = Create(options.CurrentValue.SamplingRatio);
        Description = _inner.Description;
        _subscription = options.OnChange(o => _inner = Create(o.SamplingRatio));
    }

    /// <summary>The ratio in force.</summary>
    public double Ratio { get; private set; }

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) => _inner.ShouldSample(samplingParameters);

    public void Dispose() => _subscription?.Dispose();

    private TraceIdRatioBasedSampler Create(double ratio)
    {
        // Validation rejects values outside [0, 1]; clamping only guards against a value bound before validation ran.
        ratio = double.IsNaN(ratio) ? TelemetryOptionTable.SamplingRatio.Default : Math.Clamp(ratio, 0.0, 1.0);
        Ratio = ratio;
        var sampler = new TraceIdRatioBasedSampler(ratio);
        Description = string.Create(CultureInfo.InvariantCulture, $"AmbassadorRatioSampler{{{ratio}}}");
        return sampler;
    }
}
