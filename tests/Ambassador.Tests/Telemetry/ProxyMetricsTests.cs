using System.Diagnostics.Metrics;
using Ambassador.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Ambassador.Tests.Telemetry;

public sealed class ProxyMetricsTests
{
    [Theory]
    [InlineData(100, "1xx")]
    [InlineData(200, "2xx")]
    [InlineData(204, "2xx")]
    [InlineData(304, "3xx")]
    [InlineData(404, "4xx")]
    [InlineData(499, "4xx")]
    [InlineData(500, "5xx")]
    [InlineData(599, "5xx")]
    [InlineData(0, "other")]
    [InlineData(99, "other")]
    [InlineData(600, "other")]
    public void StatusClass_MapsStatusToBoundedClass(int status, string expected) =>
        Assert.Equal(expected, ProxyMetrics.StatusClass(status));

    [Fact]
    public void Record_AddsCounterAndHistogramWithRouteClusterAndStatusClassOnly()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ProxyMetrics(services.GetRequiredService<IMeterFactory>());
        var measurements = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ambassador")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Add((i.Name, v, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        metrics.Record("orders", "orders-cluster", 503, TimeSpan.FromMilliseconds(250));

        var count = Assert.Single(measurements, m => m.Instrument == "ambassador.requests");
        Assert.Equal(1, count.Value);
        Assert.Equal(new Dictionary<string, object?> { ["route"] = "orders", ["cluster"] = "orders-cluster", ["status_class"] = "5xx" }, count.Tags);
        var duration = Assert.Single(measurements, m => m.Instrument == "ambassador.request.duration");
        Assert.Equal(0.25, duration.Value, 6);
        Assert.Equal(new Dictionary<string, object?> { ["route"] = "orders", ["cluster"] = "orders-cluster" }, duration.Tags);
    }

    [Fact]
    public void Record_AllocatesNothingPerRequest()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ProxyMetrics(services.GetRequiredService<IMeterFactory>());
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ambassador")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, v, _, _) => total += v);
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        listener.Start();
        metrics.Record("r", "c", 200, TimeSpan.FromMilliseconds(1)); // warm-up

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            metrics.Record("r", "c", 200, TimeSpan.FromMilliseconds(1));
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1001, total);
        Assert.Equal(0, allocated);
    }
}
