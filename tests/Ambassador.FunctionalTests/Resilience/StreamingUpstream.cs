using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>
/// A Kestrel upstream that sends its status and headers at once, then its body in <see cref="Chunks"/> pieces,
/// one every <see cref="Interval"/>: a download or a server-sent event stream that outlives a short per-try timeout.
/// </summary>
internal sealed class StreamingUpstream : IAsyncDisposable
{
    public const int Chunks = 6;
    private readonly WebApplication _app;
    private int _completed;
    private int _aborted;

    private StreamingUpstream(WebApplication app) => _app = app;

    public static TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The whole body, as the client should receive it.</summary>
    public static string Body => string.Concat(Enumerable.Range(0, Chunks).Select(i => $"chunk {i}\n"));

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public int Completed => Volatile.Read(ref _completed);

    public int Aborted => Volatile.Read(ref _aborted);

    public static async Task<StreamingUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new StreamingUpstream(app);
        app.Run(async context =>
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

                Interlocked.Increment(ref upstream._completed);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref upstream._aborted);
            }
        });
        await app.StartAsync();
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
