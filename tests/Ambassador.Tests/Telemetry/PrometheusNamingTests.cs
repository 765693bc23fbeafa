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
    public void View_CountersHistogramsAndOtherNames_AreLeftAlone()
    {
        using var meter = new Meter("Test");

        Assert.Null(PrometheusNaming.View(meter.CreateCounter<long>("ambassador.requests")));
        Assert.Null(PrometheusNaming.View(meter.CreateCounter<long>("widgets.count")));
        Assert.Null(PrometheusNaming.View(meter.CreateHistogram<double>("ambassador.request.duration")));
        Assert.Null(PrometheusNaming.View(meter.CreateUpDownCounter<long>("ambassador.inflight")));
    }
}
