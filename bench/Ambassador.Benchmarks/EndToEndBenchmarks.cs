using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Benchmarks;

/// <summary>
/// The realistic figure: one request through a real proxy (Kestrel on loopback, YARP, HttpClient to a Kestrel upstream
/// on loopback), with and without <c>UseAmbassadorResilience()</c>. Sequential requests on a kept-alive connection.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private WebApplication _upstream = null!;
    private WebApplication _baselineProxy = null!;
    private WebApplication _policyProxy = null!;
    private HttpClient _baselineClient = null!;
    private HttpClient _policyClient = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var upstreamBuilder = WebApplication.CreateSlimBuilder();
        upstreamBuilder.Logging.ClearProviders();
        upstreamBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        _upstream = upstreamBuilder.Build();
        _upstream.Run(static context => context.Response.WriteAsync("{\"ok\":true}"));
        await _upstream.StartAsync();
        var upstreamUrl = Address(_upstream);

        _baselineProxy = await StartProxyAsync(upstreamUrl, withPolicies: false);
        _policyProxy = await StartProxyAsync(upstreamUrl, withPolicies: true);
        _baselineClient = new HttpClient { BaseAddress = new Uri(Address(_baselineProxy)) };
        _policyClient = new HttpClient { BaseAddress = new Uri(Address(_policyProxy)) };

        foreach (var client in new[] { _baselineClient, _policyClient })
        {
            using var response = await client.GetAsync("/items/1");
            response.EnsureSuccessStatusCode();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _baselineClient.Dispose();
        _policyClient.Dispose();
        await _baselineProxy.DisposeAsync();
        await _policyProxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "end-to-end, YARP only")]
    public Task<string> YarpOnly() => _baselineClient.GetStringAsync("/items/1");

    [Benchmark(Description = "end-to-end, YARP + UseAmbassadorResilience")]
    public Task<string> WithPolicies() => _policyClient.GetStringAsync("/items/1");

    private static string Address(WebApplication app)
        => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static Task<WebApplication> StartProxyAsync(string upstreamUrl, bool withPolicies)
        => BenchProxy.StartAsync(upstreamUrl + "/", upstreamUrl + "/", withPolicies, new Dictionary<string, string?>());
}
