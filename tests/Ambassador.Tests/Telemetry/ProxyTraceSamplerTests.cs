using System.Diagnostics;
using Ambassador.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Ambassador.Tests.Telemetry;

public sealed class ProxyTraceSamplerTests
{
    private const string HttpClientActivity = "System.Net.Http.HttpRequestOut";

    [Fact]
    public void ShouldSample_HttpClientSpanWithoutParent_Drops()
    {
        using var ratio = new ConfigurableRatioSampler(new FixedOptions(1.0));
        var sampler = new ProxyTraceSampler(ratio);

        var result = sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), HttpClientActivity, ActivityKind.Client));

        Assert.Equal(SamplingDecision.Drop, result.Decision);
    }

    [Fact]
    public void ShouldSample_HttpClientSpanUnderSampledSpanWithoutRequestState_Drops()
    {
        using var ratio = new ConfigurableRatioSampler(new FixedOptions(1.0));
        var sampler = new ProxyTraceSampler(ratio);
        using var parent = StartSampledParent();

        var result = sampler.ShouldSample(new SamplingParameters(parent.Context, parent.TraceId, HttpClientActivity, ActivityKind.Client));

        Assert.Equal(SamplingDecision.Drop, result.Decision);
    }

    [Fact]
    public void ShouldSample_HttpClientSpanUnderServerSpanWithRequestState_FollowsSampledParent()
    {
        // Ratio 0: only the parent's decision can make it sampled.
        using var ratio = new ConfigurableRatioSampler(new FixedOptions(0.0));
        var sampler = new ProxyTraceSampler(ratio);
        using var parent = StartSampledParent();
        parent.SetCustomProperty(RequestTelemetryFeature.ActivityPropertyName, new RequestTelemetryFeature(new DefaultHttpContext(), default));

        var result = sampler.ShouldSample(new SamplingParameters(parent.Context, parent.TraceId, HttpClientActivity, ActivityKind.Client));

        Assert.Equal(SamplingDecision.RecordAndSample, result.Decision);
    }

    [Fact]
    public void ShouldSample_ServerSpan_FollowsRemoteParentThenRatio()
    {
        using var ratio = new ConfigurableRatioSampler(new FixedOptions(0.0));
        var sampler = new ProxyTraceSampler(ratio);
        var traceId = ActivityTraceId.CreateRandom();
        var sampledCaller = new ActivityContext(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

        var followed = sampler.ShouldSample(new SamplingParameters(sampledCaller, traceId, "Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server));
        var root = sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server));

        Assert.Equal(SamplingDecision.RecordAndSample, followed.Decision);
        Assert.Equal(SamplingDecision.Drop, root.Decision);
    }

    private static Activity StartSampledParent()
    {
        var parent = new Activity("server").SetIdFormat(ActivityIdFormat.W3C);
        parent.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        return parent.Start();
    }

    private sealed class FixedOptions(double ratio) : IOptionsMonitor<TelemetryOptions>
    {
        public TelemetryOptions CurrentValue { get; } = new() { SamplingRatio = ratio };

        public TelemetryOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<TelemetryOptions, string?> listener) => null;
    }
}
