using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Demo;

/// <summary>
/// The failing-instance phase, told as outlier ejection: inventory-b has just served phase 1 without a failure and now
/// answers 503 to everything. Its failure ratio stays under <c>FailureRatio</c> for a while (its successes are still in
/// the window), so what takes it out is <c>CircuitBreaker:ConsecutiveFailures</c> (default 5). The phase shows that from
/// <c>/admin/clusters</c> (<c>failures</c>, <c>breaker</c>, <c>ejections</c>, <c>returnsAt</c>), then that the orders
/// meanwhile go to inventory-a. The runner heals inventory-b afterwards and waits for it to come back after the break.
/// </summary>
internal sealed class EjectionPhase(
    TextWriter output,
    HttpClient http,
    Uri admin,
    Func<string, CancellationToken, Task<RequestOutcome>> order,
    Func<CancellationToken, Task<long?>> attempts,
    Func<CancellationToken, Task<double?>> retries)
{
    public const string Title = "2. inventory-b answers 503 to everything";

    // Orders sent while inventory-b is out: enough to see that none of them reaches it.
    private const int OrdersWhileOut = 8;

    /// <summary>Runs the phase; inventory-b must already answer 503 (the runner switched it).</summary>
    public async Task<PhaseResult> RunAsync(CancellationToken cancellationToken)
    {
        output.WriteLine();
        output.WriteLine($"Phase {Title}");
        var attemptsBefore = await attempts(cancellationToken);
        var retriesBefore = await retries(cancellationToken);
        var before = await ReadAsync(cancellationToken);
        var outcomes = new List<RequestOutcome>();

        // Orders until the ambassador ejects inventory-b (each order tries it at most once: a retry goes elsewhere).
        Ejection? ejected = null;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < DemoConstants.RequestsPerPhase && ejected is null; i++)
        {
            outcomes.Add(await order($"sku-{i + 1}", cancellationToken));
            var now = await ReadAsync(cancellationToken);
            if (now is { Breaker: "open" })
            {
                ejected = now;
            }
            else
            {
                // Sequential traffic, like one user (the same pause as the other phases).
                await Task.Delay(DemoConstants.RequestPause, cancellationToken);
            }
        }

        if (ejected is null || before is null)
        {
            output.WriteLine(before is null
                ? "  (/admin/clusters shows no breaker state for inventory-b in this build)"
                : $"  inventory-b was not ejected within {outcomes.Count} orders.");
        }
        else
        {
            var inARow = ejected.Failures - before.Failures;
            var share = ejected.Requests == 0 ? 0 : 100.0 * ejected.Failures / ejected.Requests;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  After {outcomes.Count} orders ({clock.Elapsed.TotalSeconds:0.0} s) the ambassador ejected inventory-b: {inARow} failed attempts in a row"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  (CircuitBreaker:ConsecutiveFailures, default 5), although only {ejected.Failures} of its {ejected.Requests} attempts so far failed ({share:0} %, under FailureRatio 0.5)."));
            var returns = ejected.ReturnsAt is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"returnsAt {at:HH:mm:ss.fff} UTC, in {Math.Max(0, (at - DateTimeOffset.UtcNow).TotalSeconds):0.0} s")
                : "returnsAt not shown";
            output.WriteLine($"  /admin/clusters for inventory-b: breaker {ejected.Breaker}, ejections {ejected.Ejections}, {returns}.");

            var whileOut = new List<RequestOutcome>();
            for (var i = 0; i < OrdersWhileOut; i++)
            {
                whileOut.Add(await order($"sku-out-{i + 1}", cancellationToken));
                await Task.Delay(DemoConstants.RequestPause, cancellationToken);
            }

            outcomes.AddRange(whileOut);
            var after = await ReadAsync(cancellationToken);
            var served = string.Join(", ", whileOut.GroupBy(o => o.Instance ?? $"status {o.Status}").Select(g => $"{g.Key} x{g.Count()}"));
            output.WriteLine($"  While it is out, {whileOut.Count} orders were answered by {served}; inventory-b got "
                + $"{(after is null ? "?" : (after.Requests - ejected.Requests).ToString(CultureInfo.InvariantCulture))} attempts.");
            output.WriteLine("  When its break ends, one probe request decides: a success brings it back, a failure ejects it again for twice as long.");
        }

        var attemptsAfter = await attempts(cancellationToken);
        var retriesAfter = await retries(cancellationToken);
        var made = attemptsBefore is not null && attemptsAfter is not null ? attemptsAfter - attemptsBefore : null;

        // The retry counter has no series before the first retry: then every attempt beyond one per order was a retry.
        var retried = retriesAfter is not null
            ? retriesAfter - (retriesBefore ?? 0)
            : made is not null ? Math.Max(0, made.Value - outcomes.Count) : (double?)null;
        return new PhaseResult(Title, outcomes, made, retried);
    }

    /// <summary>inventory-b as <c>/admin/clusters</c> shows it, or null when this build does not show its breaker.</summary>
    private async Task<Ejection?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(admin, "admin/clusters"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var destination = document.RootElement.GetProperty("clusters").EnumerateArray()
                .Where(c => c.GetProperty("id").GetString() == DemoConstants.ClusterId)
                .SelectMany(c => c.GetProperty("destinations").EnumerateArray())
                .FirstOrDefault(d => d.GetProperty("id").GetString() == DemoConstants.InventoryB);
            if (destination.ValueKind != JsonValueKind.Object || !destination.TryGetProperty("ejections", out var ejections))
            {
                return null;
            }

            DateTimeOffset? returnsAt = destination.TryGetProperty("returnsAt", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetDateTimeOffset()
                : null;
            return new Ejection(destination.GetProperty("breaker").GetString(), destination.GetProperty("requests").GetInt64(),
                destination.GetProperty("failures").GetInt64(), ejections.GetInt32(), returnsAt);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // An older build, or one whose /admin/clusters has another shape: the phase still runs, with less to show.
            return null;
        }
    }

    private sealed record Ejection(string? Breaker, long Requests, long Failures, int Ejections, DateTimeOffset? ReturnsAt);
}
