using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ambassador.FunctionalTests.TrafficControl;

/// <summary>
/// A Kestrel upstream whose answer the test steers while it runs: a status, a delay, or holding every request until
/// released. It counts requests and the most it saw at once. <c>/warm</c> answers 200 at once, to open connections.
/// </summary>
internal sealed class ControlledUpstream : IAsyncDisposable
{
    private readonly object _lock = new();
    private WebApplication? _app;
    private TaskCompletionSource _gate = NewGate(released: true);
    private int _hits;
    private int _current;
    private int _max;

    public string Url { get; private set; } = string.Empty;

    public int StatusCode { get; set; } = 200;

    public TimeSpan Delay { get; set; }

    public int Hits => Volatile.Read(ref _hits);

    public int Current => Volatile.Read(ref _current);

    public int MaxConcurrent => Volatile.Read(ref _max);

    /// <summary>Arrivals after the first <see cref="WaveSize"/> are counted in <see cref="AfterWave"/> (retries, in the tests that send one wave).</summary>
    public int WaveSize { get; set; } = int.MaxValue;

    /// <summary>Requests after the wave in flight at once; upstreams may share one gauge.</summary>
    public ConcurrencyGauge AfterWave { get; set; } = new();

    public static async Task<ControlledUpstream> StartAsync()
    {
        var upstream = new ControlledUpstream();
        (upstream._app, upstream.Url) = await Upstreams.StartKestrelAsync(app => app.Run(upstream.HandleAsync));
        return upstream;
    }

    /// <summary>Holds every request from now on until <see cref="Release"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _gate = NewGate(released: false);
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _gate.TrySetResult();
        }
    }

    public void ResetCounts()
    {
        Volatile.Write(ref _hits, 0);
        Volatile.Write(ref _max, 0);
    }

    /// <summary>Stops listening: what a killed instance looks like (connections refused).</summary>
    public async Task KillAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(new CancellationTokenSource(TimeSpan.FromMilliseconds(200)).Token);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await KillAsync();
    }

    private static TaskCompletionSource NewGate(bool released)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (released)
        {
            gate.SetResult();
        }

        return gate;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/warm")
        {
            return;
        }

        var arrival = Interlocked.Increment(ref _hits);
        var current = Interlocked.Increment(ref _current);
        InterlockedMax(ref _max, current);
        var afterWave = arrival > WaveSize;
        var gauge = AfterWave;
        if (afterWave)
        {
            gauge.Enter();
        }

        try
        {
            Task gate;
            lock (_lock)
            {
                gate = _gate.Task;
            }

            await gate.WaitAsync(context.RequestAborted);
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, context.RequestAborted);
            }

            context.Response.StatusCode = StatusCode;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _current);
            if (afterWave)
            {
                gauge.Exit();
            }
        }
    }

    internal static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

/// <summary>How many requests are in flight at once, and the most seen.</summary>
internal sealed class ConcurrencyGauge
{
    private int _current;
    private int _max;

    public int Max => Volatile.Read(ref _max);

    public void Enter() => ControlledUpstream.InterlockedMax(ref _max, Interlocked.Increment(ref _current));

    public void Exit() => Interlocked.Decrement(ref _current);
}
