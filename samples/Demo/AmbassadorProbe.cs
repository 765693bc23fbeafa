using System.Globalization;
using System.Text.Json;

namespace Demo;

/// <summary>One destination as <c>/admin/clusters</c> reports it; fields a build does not have yet are null.</summary>
internal sealed record DestinationState(string Id, string? Health, string? Breaker, long? Requests, long? Failures);

/// <summary>
/// Reads what the ambassador says about itself: <c>/admin/clusters</c> and <c>/metrics</c>. Every field is read
/// defensively: the demo must work with whatever the ambassador build has, and show more as features land.
/// </summary>
internal sealed class AmbassadorProbe(HttpClient http, Uri admin)
{
    public async Task<IReadOnlyList<DestinationState>?> DestinationsAsync(string clusterId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(admin, "admin/clusters"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (!document.RootElement.TryGetProperty("clusters", out var clusters) || clusters.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            foreach (var cluster in clusters.EnumerateArray())
            {
                if (String(cluster, "id") != clusterId
                    || !cluster.TryGetProperty("destinations", out var destinations)
                    || destinations.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                return [.. destinations.EnumerateArray().Select(d => new DestinationState(
                    String(d, "id") ?? "?", String(d, "health"), String(d, "breaker"), Number(d, "requests"), Number(d, "failures")))];
            }

            return [];
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The Prometheus text from <c>/metrics</c>, or null when this build has no metrics endpoint.</summary>
    public async Task<PrometheusText?> MetricsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(admin, "metrics"), cancellationToken);
            return response.IsSuccessStatusCode
                ? PrometheusText.Parse(await response.Content.ReadAsStringAsync(cancellationToken))
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.ToString(),
            }
            : null;

    private static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;
}

/// <summary>Samples of a Prometheus text exposition: series (name plus labels) to value.</summary>
internal sealed class PrometheusText
{
    private readonly List<(string Name, string Labels, double Value)> _samples = [];

    public IReadOnlyList<(string Name, string Labels, double Value)> Samples => _samples;

    public static PrometheusText Parse(string text)
    {
        var result = new PrometheusText();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labelsStart = line.IndexOf('{', StringComparison.Ordinal);
            var labelsEnd = line.LastIndexOf('}');
            string name;
            string labels;
            string rest;
            if (labelsStart > 0 && labelsEnd > labelsStart)
            {
                name = line[..labelsStart];
                labels = line[(labelsStart + 1)..labelsEnd];
                rest = line[(labelsEnd + 1)..].Trim();
            }
            else
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0)
                {
                    continue;
                }

                name = line[..space];
                labels = string.Empty;
                rest = line[(space + 1)..].Trim();
            }

            var valueText = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (valueText is not null && double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                result._samples.Add((name, labels, value));
            }
        }

        return result;
    }

    /// <summary>Whether any series of the family (<c>ambassador_retries</c> matches <c>ambassador_retries_total</c>) exists.</summary>
    public bool Has(string family) => _samples.Any(s => Matches(s.Name, family));

    /// <summary>The exposed name of a family (<c>ambassador_retries_total</c> for <c>ambassador_retries</c>).</summary>
    public string NameOf(string family) => _samples.FirstOrDefault(s => Matches(s.Name, family)).Name ?? family;

    /// <summary>Sum of a family's series whose labels contain every given <c>key="value"</c> pair.</summary>
    public double Sum(string family, params string[] labelFilters) =>
        _samples.Where(s => Matches(s.Name, family) && labelFilters.All(f => s.Labels.Contains(f, StringComparison.Ordinal)))
                .Sum(s => s.Value);

    /// <summary>Series of a family grouped by one label, summed.</summary>
    public IReadOnlyList<(string Label, double Value)> ByLabel(string family, string label, params string[] labelFilters) =>
        [.. _samples.Where(s => Matches(s.Name, family) && labelFilters.All(f => s.Labels.Contains(f, StringComparison.Ordinal)))
                    .GroupBy(s => LabelValue(s.Labels, label) ?? "-")
                    .Select(g => (g.Key, g.Sum(s => s.Value)))
                    .OrderBy(g => g.Key, StringComparer.Ordinal)];

    private static bool Matches(string name, string family) =>
        name == family || name == family + "_total";

    private static string? LabelValue(string labels, string label)
    {
        var key = label + "=\"";
        var start = labels.IndexOf(key, StringComparison.Ordinal);
        if (start < 0 || (start > 0 && labels[start - 1] != ','))
        {
            return null;
        }

        start += key.Length;
        var end = labels.IndexOf('"', start);
        return end < 0 ? null : labels[start..end];
    }
}
