using System.Runtime;

namespace Ambassador.Hosting;

/// <summary>
/// How the process's start-up garbage is collected. Starting allocates about 8 MB (service graph, configuration, route
/// tables). With the small gen0 budget Ambassador runs with (4 MiB, for a low steady RSS) that meant several
/// collections on the way to the first request (perf: about a sixth of the CPU before it), and the garbage left spread
/// over regions the runtime keeps committed (about 5 MB of idle RSS). So the start runs in a no-GC region, and once
/// the listeners are up and the start has settled one aggressive, compacting collection ends it: what survived is
/// compacted and the free regions go back to the OS, without a request that arrives at start waiting for it. Only the
/// process entry point enables this: a test process that hosts many instances would pay a full collection per start
/// for nothing.
/// </summary>
internal static class StartupMemory
{
    // Room for the start's allocations (about 8.4 MB in the Native AOT binary, read from /admin/memory before the first
    // request) with margin; more than that only means a collection happens at start after all. Not more: requests that
    // arrive before the collection below also allocate in the region, and a client that starts its load the moment
    // the port opens then raised peak RSS by whatever the budget allowed (48 MiB let it reach 62-66 MiB against 47 MiB
    // after the load; the runtime ends the region with an ordinary collection once the budget is spent).
    private const long StartAllocationBudget = 16L * 1024 * 1024;

    // How long after the listeners are up the collection waits: past the first requests of a client that was waiting
    // for the port (the first proxied request is answered within a few milliseconds of it), well before anyone reads an
    // idle process's memory.
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(300);

    private static int s_enabled;

    /// <summary>Called by the process entry point: starts the no-GC region that <see cref="Compact"/> ends.</summary>
    public static void Enable()
    {
        s_enabled = 1;
        try
        {
            GC.TryStartNoGCRegion(StartAllocationBudget);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A runtime whose limit is smaller (other GC settings): starting with collections is only slower.
        }
    }

    /// <summary>Called once the listeners are up: collects (once) when the start has settled.</summary>
    public static void Compact()
    {
        if (Interlocked.Exchange(ref s_enabled, 0) == 1)
        {
            _ = Task.Delay(SettleTime).ContinueWith(static _ => Collect(), TaskScheduler.Default);
        }
    }

    private static void Collect()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
        {
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // The region already ended: the start allocated more than its budget and collected.
            }
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
