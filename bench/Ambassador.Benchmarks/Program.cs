using System.Diagnostics;
using Ambassador.Benchmarks;
using BenchmarkDotNet.Running;

if (args.Length > 1 && args[0] == "loop")
{
    // For a profiler: one side only, for a while.
    var bench = new PolicyPipelineBenchmarks();
    await bench.SetupAsync();
    var until = Stopwatch.StartNew();
    while (until.Elapsed < TimeSpan.FromSeconds(15))
    {
        for (var i = 0; i < 1000; i++)
        {
            await (args[1] == "policies" ? bench.WithPolicies() : bench.YarpOnly());
        }
    }

    await bench.CleanupAsync();
    return;
}

if (args.Length > 0 && args[0] == "pieces")
{
    await Pieces.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "interleaved-e2e")
{
    var e2e = new EndToEndBenchmarks();
    await e2e.SetupAsync();
    var (a, b) = await InterleaveAsync(e2e.YarpOnly, e2e.WithPolicies, rounds: 20, perRound: 1_000);
    Console.WriteLine($"end-to-end YARP only:     {a:0.00} us/request");
    Console.WriteLine($"end-to-end with policies: {b:0.00} us/request");
    Console.WriteLine($"throughput cost:          {(1 - (a / b)) * 100:0.0} %");
    await e2e.CleanupAsync();
    return;
}

if (args.Length > 0 && args[0] == "interleaved")
{
    // A/B in one process, alternating short rounds, so load from other processes hits both sides alike.
    var exceptions = 0;
    string? lastException = null;
    AppDomain.CurrentDomain.FirstChanceException += (_, e) =>
    {
        Interlocked.Increment(ref exceptions);
        lastException = e.Exception.GetType().Name + ": " + e.Exception.Message;
    };
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
        if (round == rounds + 1)
        {
            var hopsA = 0;
            var hopsB = 0;
            for (var i = 0; i < 1000; i++)
            {
                var t = Environment.CurrentManagedThreadId;
                var task = bench.YarpOnly();
                if (!task.IsCompleted) { hopsA++; }
                await task;
                var task2 = bench.WithPolicies();
                if (!task2.IsCompleted) { hopsB++; }
                await task2;
                _ = t;
            }

            Console.WriteLine($"not completed synchronously (of 1000): YARP only {hopsA}, with policies {hopsB}");
        }
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
    Console.WriteLine($"first-chance exceptions: {exceptions} (last: {lastException})");
    await bench.CleanupAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(PolicyPipelineBenchmarks).Assembly).Run(args);

static async Task<(double A, double B)> InterleaveAsync(Func<Task> a, Func<Task> b, int rounds, int perRound)
{
    var timeA = TimeSpan.Zero;
    var timeB = TimeSpan.Zero;
    for (var round = 0; round < rounds + 2; round++)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < perRound; i++)
        {
            await a();
        }

        var elapsedA = watch.Elapsed;
        watch.Restart();
        for (var i = 0; i < perRound; i++)
        {
            await b();
        }

        if (round >= 2)
        {
            timeA += elapsedA;
            timeB += watch.Elapsed;
        }
    }

    return (timeA.TotalMicroseconds / (rounds * perRound), timeB.TotalMicroseconds / (rounds * perRound));
}
