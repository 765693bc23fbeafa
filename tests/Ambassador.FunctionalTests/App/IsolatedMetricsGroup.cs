namespace Ambassador.FunctionalTests.App;

/// <summary>
/// The metrics exporter listens to the Ambassador meter process-wide: while another test's host with an app runs in
/// the same test process, its <c>ambassador.app.healthy</c> gauge shows up on this host's <c>/metrics</c> too. Tests
/// that assert the gauge is absent (or reads a given value) run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedMetricsGroup
{
    public const string Name = "Isolated metrics";
}
