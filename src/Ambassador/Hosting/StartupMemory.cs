namespace Ambassador.Hosting;

/// <summary>
/// One collection when the process has started, so that the idle RSS is what is live. Starting allocates about 18 MB
/// (service graph, configuration, route tables); with the small gen0 budget Ambassador runs with (4 MiB, for a low
/// steady RSS) the garbage of that is spread over regions the runtime keeps committed, about 5 MB of idle RSS. An
/// aggressive collection compacts what survived and gives the free regions back to the OS. Only the process entry point
/// enables it: a test process that hosts many instances would pay a full collection per start for nothing.
/// </summary>
internal static class StartupMemory
{
    private static int s_enabled;

    /// <summary>Called by the process entry point: <see cref="Compact"/> then collects (once).</summary>
    public static void Enable() => s_enabled = 1;

    /// <summary>Called once the listeners are up.</summary>
    public static void Compact()
    {
        if (Interlocked.Exchange(ref s_enabled, 0) == 1)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
