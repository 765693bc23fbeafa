namespace Ambassador.Hosting;

/// <summary>
/// Work that must finish on SIGTERM before the pre-stop delay and the drain start, while every listener still
/// accepts (e.g. deregistering the app from Consul, so callers stop being sent here before connections are refused).
/// </summary>
internal interface IPreStopAction
{
    /// <summary>Runs once on shutdown; must bound its own duration and never throw.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
