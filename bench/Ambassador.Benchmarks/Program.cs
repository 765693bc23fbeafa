using System.Diagnostics;
using Ambassador.Benchmarks;
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "pieces")
{
    await Pieces.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "interleaved")
{
    // A/B in one process, alternating short rounds, so load from other processes hits both sides alike.
    var bench = new PolicyPipelineBenchmarks();
    await bench.SetupAsync();
    const int rounds = 40;
    const int perRound = 5_000;
    var baseline = TimeSpan.Zero;
    var policies = TimeSpan.Zero;
    for (var round = 0; round < rounds + 2; round++)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < perRound; i++)
        {
            await bench.YarpOnly();
        }

        var a = watch.Elapsed;
        watch.Restart();
        for (var i = 0; i < perRound; i++)
        {
            await bench.WithPolicies();
        }

        var b = watch.Elapsed;
        if (round >= 2)
        {
            baseline += a;
            policies += b;
        }
    }

    var n = rounds * perRound;
    Console.WriteLine($"YARP only:        {baseline.TotalMicroseconds / n:0.00} us/request");
    Console.WriteLine($"with policies:    {policies.TotalMicroseconds / n:0.00} us/request");
    Console.WriteLine($"throughput cost:  {(1 - (baseline / policies)) * 100:0.0} %");
    Console.WriteLine($"handler total {Ambassador.Policies.Proxy.ResilienceHandler.Total * 1e6 / Stopwatch.Frequency / (n + 2 * perRound):0.00} us, setup {Ambassador.Policies.Proxy.ResilienceHandler.Setup * 1e6 / Stopwatch.Frequency / (n + 2 * perRound):0.00} us, next {Ambassador.Policies.Proxy.ResilienceHandler.Next * 1e6 / Stopwatch.Frequency / (n + 2 * perRound):0.00} us");
    await bench.CleanupAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PolicyPipelineBenchmarks).Assembly).Run(args);
