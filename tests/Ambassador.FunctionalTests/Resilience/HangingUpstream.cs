using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>
/// A Kestrel upstream that accepts every request and never answers (until cancelled): what a hung instance looks like.
/// Counts the requests it started and the ones the proxy cancelled.
/// </summary>
internal sealed class HangingUpstream : IAsyncDisposable
{
    private WebApplication? _app;
    private int _started;
    private int _cancelled;

    public string Url { get; private set; } = string.Empty;

    public int Started => Volatile.Read(ref _started);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public static async Task<HangingUpstream> StartAsync()
    {
        var upstream = new HangingUpstream();
        (upstream._app, upstream.Url) = await Upstreams.StartKestrelAsync(app => app.Run(upstream.HangAsync));
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task HangAsync(HttpContext context)
    {
        Interlocked.Increment(ref _started);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
        }
    }
}
