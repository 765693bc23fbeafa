using Ambassador.Policies.Limits;
using Ambassador.Policies.LoadBalancing;
using BenchmarkDotNet.Attributes;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Benchmarks;

/// <summary>
/// What concurrency limits and PeakEwma add to a request that succeeds at once, measured in isolation: the end-to-end
/// difference (bench/run.sh's traffic rows) is far below what CPU time on a shared VM can resolve. Each pair is the
/// feature's own per-request work next to what runs without it.
/// </summary>
[MemoryDiagnoser]
public class TrafficControlBenchmarks
{
    private const string Cluster = "app";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private ClusterLimiter _limiter = null!;
    private PeakEwmaRegistry _estimates = null!;
    private DestinationState _a = null!;
    private DestinationState _b = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _limiter = new ClusterLimiter(Cluster, new LimitsPolicyOptions(), TimeProvider.System,
            new LimitsTelemetry(_services.GetRequiredService<IMeterFactory>()));
        _estimates = new PeakEwmaRegistry(TimeProvider.System);
        _a = new DestinationState("a");
        _b = new DestinationState("b");
        _estimates.Observe(Cluster, "a", TimeSpan.FromMilliseconds(1), failed: false, Window);
        _estimates.Observe(Cluster, "b", TimeSpan.FromMilliseconds(2), failed: false, Window);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _limiter.Dispose();
        _services.Dispose();
    }

    /// <summary>The limits step's happy path: a free place taken and given back.</summary>
    [Benchmark(Description = "limits: take and give back a place")]
    public bool LimitsPlace()
    {
        var lease = _limiter.TryEnter();
        lease?.Dispose();
        return lease is not null;
    }

    /// <summary>PowerOfTwoChoices' comparison of the two picks (what PeakEwma replaces).</summary>
    [Benchmark(Baseline = true, Description = "P2C: compare two destinations")]
    public DestinationState PowerOfTwoChoicesCompare()
        => _a.ConcurrentRequestCount <= _b.ConcurrentRequestCount ? _a : _b;

    /// <summary>PeakEwma's comparison of the two picks: two estimates read and decayed.</summary>
    [Benchmark(Description = "PeakEwma: compare two destinations")]
    public DestinationState PeakEwmaCompare()
        => PeakEwmaLoadBalancingPolicy.Cost(_estimates, Cluster, _a, Window) <= PeakEwmaLoadBalancingPolicy.Cost(_estimates, Cluster, _b, Window)
            ? _a : _b;

    /// <summary>PeakEwma's per-attempt sample: two timestamps and one estimate update.</summary>
    [Benchmark(Description = "PeakEwma: one attempt's latency sample")]
    public void PeakEwmaSample()
    {
        var start = TimeProvider.System.GetTimestamp();
        _estimates.Observe(Cluster, "a", TimeProvider.System.GetElapsedTime(start), failed: false, Window);
    }
}
