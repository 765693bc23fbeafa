using System.Collections.Concurrent;
using Ambassador.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ambassador.FunctionalTests.App;

/// <summary>One probe the app saw: when, and what it answered.</summary>
public sealed record SeenProbe(DateTime At, int Status);

/// <summary>
/// The app beside the sidecar: a Kestrel app on loopback whose <c>/health</c> answers <see cref="HealthStatus"/> and
/// records every probe, and whose other paths answer "from app".
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestApp(WebApplication app, string address)
    {
        _app = app;
        Address = address;
        Uri = new Uri(address);
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public string Address { get; }

    public Uri Uri { get; }

    /// <summary>The status <c>/health</c> answers; 200 at first.</summary>
    public volatile int HealthStatus = 200;

    public ConcurrentQueue<SeenProbe> Probes { get; } = new();

    public static async Task<TestApp> StartAsync()
    {
        TestApp? self = null;
        var (app, address) = await Upstreams.StartKestrelAsync(a =>
        {
            a.MapGet("/health", (HttpContext context) =>
            {
                var status = self!.HealthStatus;
                self.Probes.Enqueue(new SeenProbe(DateTime.UtcNow, status));
                context.Response.StatusCode = status;
                return Task.CompletedTask;
            });
            a.MapFallback((HttpContext context) => context.Response.WriteAsync("from app"));
        });
        self = new TestApp(app, address);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
