namespace Ambassador.Hosting;

/// <summary>
/// Work that must finish on SIGTERM before the pre-stop delay and the drain start, while every listener still
/// accepts (e.g. deregistering the app from Consul, so callers stop being sent here before connections are refused).
/// </summary>
internal interface IPreStopAction
{
    /// <summary>Runs once on shutdown; must bound its own duration (by <see cref="MaxDuration"/>) and never throw.</summary>
    Task RunAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The longest <see cref="RunAsync"/> takes. It is added to the host's shutdown timeout: the actions share the host's
    /// stop token with the pre-stop delay and the drain, and a slow action must not shorten the drain.
    /// </summary>
    TimeSpan MaxDuration { get; }
}
