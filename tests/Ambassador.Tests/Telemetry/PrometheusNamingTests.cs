using System.Diagnostics.Metrics;
using Ambassador.Telemetry;

namespace Ambassador.Tests.Telemetry;

public sealed class PrometheusNamingTests
{
    [Fact]
    public void View_GaugeEndingInCount_IsRenamed()
    {
        using var meter = new Meter("System.Runtime.Test");
        var gauge = meter.CreateObservableUpDownCounter("dotnet.assembly.count", () => 1L);
        var other = meter.CreateUpDownCounter<long>("my.queue.count");

        Assert.Equal("dotnet.assembly.loaded", PrometheusNaming.View(gauge)?.Name);
        Assert.Equal("my.queue.current", PrometheusNaming.View(other)?.Name);
    }

    [Fact]
    public void View_CountersHistogramsAndOtherNames_KeepTheirNames_AndGetTheCardinalityLimit()
    {
        using var meter = new Meter("Test");
        Instrument[] instruments =
        [
            meter.CreateCounter<long>("ambassador.requests"),
            meter.CreateCounter<long>("widgets.count"),
            meter.CreateHistogram<double>("ambassador.request.duration"),
            meter.CreateUpDownCounter<long>("ambassador.inflight"),
        ];

        foreach (var instrument in instruments)
        {
            var view = PrometheusNaming.View(instrument);
            Assert.NotNull(view);
            Assert.Null(view.Name);
            Assert.Equal(PrometheusNaming.CardinalityLimit, view.CardinalityLimit);
        }

        // A histogram's view must not carry buckets of its own, or the advised sub-millisecond buckets would be lost.
        Assert.IsNotType<OpenTelemetry.Metrics.ExplicitBucketHistogramConfiguration>(PrometheusNaming.View(instruments[2]));
    }
}
