using System.Diagnostics;
using Ambassador.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;

namespace Ambassador.Tests.Telemetry;

public sealed class ConfigurableRatioSamplerTests
{
    [Fact]
    public void ShouldSample_FollowsRatioAndItsReload()
    {
        var options = new FakeOptionsMonitor(new TelemetryOptions { SamplingRatio = 0.0 });
        using var sampler = new ConfigurableRatioSampler(options);
        var parameters = new SamplingParameters(default, ActivityTraceId.CreateRandom(), "GET", ActivityKind.Server);

        Assert.Equal(SamplingDecision.Drop, sampler.ShouldSample(parameters).Decision);

        options.Set(new TelemetryOptions { SamplingRatio = 1.0 });

        Assert.Equal(1.0, sampler.Ratio);
        Assert.Equal(SamplingDecision.RecordAndSample, sampler.ShouldSample(parameters).Decision);
    }

    [Fact]
    public void ShouldSample_HalfRatio_SamplesAboutHalfOfTraceIds()
    {
        using var sampler = new ConfigurableRatioSampler(new FakeOptionsMonitor(new TelemetryOptions { SamplingRatio = 0.5 }));

        var sampled = Enumerable.Range(0, 4000)
            .Count(_ => sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateRandom(), "GET", ActivityKind.Server)).Decision == SamplingDecision.RecordAndSample);

        Assert.InRange(sampled, 1600, 2400);
    }

    private sealed class FakeOptionsMonitor(TelemetryOptions value) : IOptionsMonitor<TelemetryOptions>
    {
        private Action<TelemetryOptions, string?>? _listener;

        public TelemetryOptions CurrentValue { get; private set; } = value;

        public TelemetryOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<TelemetryOptions, string?> listener)
        {
            _listener = listener;
            return null;
        }

        public void Set(TelemetryOptions value)
        {
            CurrentValue = value;
            _listener?.Invoke(value, Options.DefaultName);
        }
    }
}
