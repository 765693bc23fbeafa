namespace Ambassador.FunctionalTests.Telemetry;

/// <summary>
/// Activity listeners are process-wide: while another test's Ambassador host (sampling ratio 1) runs in the same
/// test process, it samples this host's activities too. Tests that assert what is *not* sampled run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedTracingGroup
{
    public const string Name = "Isolated tracing";
}
