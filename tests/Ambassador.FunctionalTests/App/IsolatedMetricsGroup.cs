namespace Ambassador.FunctionalTests.App;

/// <summary>
/// The metrics exporter listens to the Ambassador meter process-wide: while another test's host with an app runs in
/// the same test process, its <c>ambassador.app.healthy</c> gauge shows up on this host's <c>/metrics</c> too. Tests
/// that assert the gauge is absent (or reads a given value) run alone.
/// </summary>
/// <remarks>
/// Process-wide because OpenTelemetry's meter provider subscribes to meters by name only, not by the
/// <c>IMeterFactory</c> (host) that created them. xUnit 2 runs a collection with <c>DisableParallelization</c> after
/// every parallel collection has finished, so no other test's host is alive meanwhile (every test disposes its hosts),
/// and these tests' own hosts cannot show up on another test's <c>/metrics</c>. Only these tests read
/// <c>ambassador_app_*</c>. The counters that <c>MetricsTests</c> waits for run here too: identical instruments of
/// several hosts feed one stream, and when one of those hosts is disposed the exporter drops that stream with it, so
/// a count made by the test's own host could vanish from its <c>/metrics</c> while other tests come and go.
/// </remarks>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedMetricsGroup
{
    public const string Name = "Isolated metrics";
}
