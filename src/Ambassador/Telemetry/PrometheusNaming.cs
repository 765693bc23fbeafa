using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Ambassador.Telemetry;

/// <summary>
/// Keeps the Prometheus exposition lint-clean (<c>promtool check metrics</c>). Prometheus reserves a <c>_count</c>
/// suffix for histograms and summaries, but a few standard .NET gauges are named <c>….count</c>
/// (<c>dotnet.assembly.count</c>, <c>dotnet.process.cpu.count</c>, <c>dotnet.timer.count</c>). Those are renamed
/// once, when the instrument is published; nothing runs per measurement.
/// </summary>
internal static class PrometheusNaming
{
    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assembly.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpu.available",
        ["dotnet.timer.count"] = "dotnet.timer.active",
    };

    // Standard per-request series a sidecar's other series already show, recorded only with DetailedMetrics: each proxied
    // request has exactly one upstream request in flight (http.server.active_requests), the pool's connection gauge is
    // updated four times per request (active, then idle again), and a route's matches are ambassador_requests_total.
    // Together they were 7 of the ~14 measurements a request made and about a tenth of its CPU; a dropped instrument is
    // not listened to at all, so it costs nothing.
    private static readonly HashSet<(string Meter, string Instrument)> Repeats =
    [
        ("System.Net.Http", "http.client.active_requests"),
        ("System.Net.Http", "http.client.open_connections"),
        ("Microsoft.AspNetCore.Routing", "aspnetcore.routing.match_attempts"),
    ];

    /// <summary><see cref="View"/>, with the standard series that repeat others dropped (<c>DetailedMetrics</c> off).</summary>
    public static MetricStreamConfiguration? ViewWithoutRepeats(Instrument instrument)
        => Repeats.Contains((instrument.Meter.Name, instrument.Name)) ? MetricStreamConfiguration.Drop : View(instrument);

    /// <summary>The view callback: a new name for a non-counter, non-histogram instrument ending in <c>.count</c>, otherwise the default stream.</summary>
    public static MetricStreamConfiguration? View(Instrument instrument)
    {
        if (!instrument.Name.EndsWith(".count", StringComparison.Ordinal) || IsCounterOrHistogram(instrument))
        {
            // Every stream gets the sidecar-sized point limit; histograms keep their advised buckets.
            return IsHistogram(instrument)
                ? new HistogramConfiguration { CardinalityLimit = CardinalityLimit }
                : new MetricStreamConfiguration { CardinalityLimit = CardinalityLimit };
        }

        var name = Renames.TryGetValue(instrument.Name, out var renamed) ? renamed : instrument.Name[..^".count".Length] + ".current";
        return new MetricStreamConfiguration { Name = name, CardinalityLimit = CardinalityLimit };
    }

    /// <summary>
    /// Metric points per stream. OpenTelemetry preallocates its default of 2000 for every stream (about 6 MiB of idle
    /// heap over the ~36 streams here); label sets of one sidecar (routes × clusters × status classes, destinations)
    /// stay far below this.
    /// </summary>
    public const int CardinalityLimit = 256;

    private static bool IsHistogram(Instrument instrument) => instrument
        is Histogram<long> or Histogram<int> or Histogram<double> or Histogram<short> or Histogram<byte> or Histogram<float> or Histogram<decimal>;

    private static bool IsCounterOrHistogram(Instrument instrument) => instrument
        is Counter<long> or Counter<int> or Counter<double> or Counter<short> or Counter<byte> or Counter<float> or Counter<decimal>
        or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> or ObservableCounter<short> or ObservableCounter<byte> or ObservableCounter<float> or ObservableCounter<decimal>
        or Histogram<long> or Histogram<int> or Histogram<double> or Histogram<short> or Histogram<byte> or Histogram<float> or Histogram<decimal>;
}
