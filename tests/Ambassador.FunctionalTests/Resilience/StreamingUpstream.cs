using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>
/// A Kestrel upstream that sends its status and headers at once, then its body in <see cref="Chunks"/> pieces,
/// one every <see cref="Interval"/>: a download or a server-sent event stream that outlives a short per-try timeout.
/// </summary>
internal sealed class StreamingUpstream : IAsyncDisposable
{
    public const int Chunks = 6;
    private WebApplication? _app;
    private int _completed;
    private int _aborted;

    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The whole body, as the client should receive it.</summary>
    public static string Body => string.Concat(Enumerable.Range(0, Chunks).Select(i => $"chunk {i}\n"));

    public string Url { get; private set; } = string.Empty;

    public int Completed => Volatile.Read(ref _completed);

    public int Aborted => Volatile.Read(ref _aborted);

    public static async Task<StreamingUpstream> StartAsync()
    {
        var upstream = new StreamingUpstream();
        (upstream._app, upstream.Url) = await Upstreams.StartKestrelAsync(app => app.Run(upstream.StreamAsync));
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

    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            for (var i = 0; i < Chunks; i++)
            {
                await context.Response.WriteAsync($"chunk {i}\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                if (i < Chunks - 1)
                {
                    await Task.Delay(Interval, context.RequestAborted);
                }
            }

            Interlocked.Increment(ref _completed);
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _aborted);
        }
    }
}
