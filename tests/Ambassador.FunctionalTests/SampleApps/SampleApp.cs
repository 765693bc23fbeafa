using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Ambassador.FunctionalTests.SampleApps;

/// <summary>A sample app (built through its own <c>Build(args)</c>) started in-process on 127.0.0.1:0.</summary>
public sealed class SampleApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private SampleApp(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public static async Task<SampleApp> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SampleApp(app, new Uri(address + "/"));
    }

    public static Task<SampleApp> StartInventoryAsync(string name, params string[] args) =>
        StartAsync(InventoryService.InventoryApp.Build(
            ["--urls=http://127.0.0.1:0", $"--Inventory:InstanceName={name}", "--Logging:LogLevel:Default=Warning", .. args]));

    public static Task<SampleApp> StartOrderAsync(Uri ambassadorProxy, Uri ambassadorAdmin, params string[] args) =>
        StartAsync(OrderService.OrderApp.Build(
        [
            "--urls=http://127.0.0.1:0",
            $"--Ambassador:BaseAddress={ambassadorProxy}",
            $"--Ambassador:AdminAddress={ambassadorAdmin}",
            "--Logging:LogLevel:Default=Warning",
            .. args,
        ]));

    /// <summary>Stops the app (graceful host shutdown, so hosted services such as Consul deregistration run).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
    }
}
