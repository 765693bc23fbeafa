using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Ambassador.Benchmarks;

/// <summary>
/// Cost of the resilience step on a request that needs no retry: the same YARP proxy pipeline with and without
/// <c>UseAmbassadorResilience()</c>, driven in-process (no sockets) against an upstream handler that answers 200 at once.
/// </summary>
[MemoryDiagnoser]
public class PolicyPipelineBenchmarks
{
    private WebApplication _baselineApp = null!;
    private WebApplication _policyApp = null!;
    private RequestDelegate _baseline = null!;
    private RequestDelegate _withPolicies = null!;
    private Endpoint _baselineEndpoint = null!;
    private Endpoint _policyEndpoint = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        (_baselineApp, _baselineEndpoint) = await StartAsync(withPolicies: false);
        (_policyApp, _policyEndpoint) = await StartAsync(withPolicies: true);
        _baseline = _baselineEndpoint.RequestDelegate!;
        _withPolicies = _policyEndpoint.RequestDelegate!;

        // Both pipelines must really forward (a broken setup would measure an error path).
        foreach (var (pipeline, endpoint, app) in new[] { (_baseline, _baselineEndpoint, _baselineApp), (_withPolicies, _policyEndpoint, _policyApp) })
        {
            var context = await InvokeForCheckAsync(pipeline, endpoint, app.Services);
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                throw new InvalidOperationException($"Benchmark setup broken: status {context.Response.StatusCode}.");
            }
        }
    }

    private static async Task<HttpContext> InvokeForCheckAsync(RequestDelegate pipeline, Endpoint endpoint, IServiceProvider services)
    {
        var context = Create(endpoint, services);
        await pipeline(context);
        return context;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _baselineApp.DisposeAsync();
        await _policyApp.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "YARP pipeline, no policies")]
    public Task YarpOnly() => Invoke(_baseline, _baselineEndpoint, _baselineApp.Services);

    [Benchmark(Description = "YARP pipeline + UseAmbassadorResilience (retry, budget, breaker, timeouts)")]
    public Task WithPolicies() => Invoke(_withPolicies, _policyEndpoint, _policyApp.Services);

    private static Task Invoke(RequestDelegate pipeline, Endpoint endpoint, IServiceProvider services)
        => pipeline(Create(endpoint, services));

    private static DefaultHttpContext Create(Endpoint endpoint, IServiceProvider services)
    {
        var context = new DefaultHttpContext { RequestServices = services };

        // Kestrel always provides these features; without them the first set of RequestAborted adds one (and bumps
        // the feature revision), a cost the real server never pays.
        context.Features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature());
        context.Request.Method = HttpMethods.Get;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1", 3000);
        context.Request.Path = "/items/1";
        context.Response.Body = Stream.Null;
        context.SetEndpoint(endpoint);
        return context;
    }

    private static async Task<(WebApplication App, Endpoint Endpoint)> StartAsync(bool withPolicies)
    {
        var app = await BenchProxy.StartAsync(
            "http://10.0.0.1:8080/",
            "http://10.0.0.2:8080/",
            withPolicies,
            new Dictionary<string, string?> { ["Ambassador:Policies:default:Retry:MaxRetries"] = "2" },
            services => services.AddSingleton<IForwarderHttpClientFactory, InMemoryUpstreamFactory>());
        var endpoint = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().Single();
        return (app, endpoint);
    }

    /// <summary>An upstream that answers every request with a small 200, without a network.</summary>
    private sealed class InMemoryUpstreamFactory : IForwarderHttpClientFactory
    {
        public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context) => new(new OkHandler(), disposeHandler: true);

        private sealed class OkHandler : HttpMessageHandler
        {
            private static readonly byte[] Payload = "{\"ok\":true}"u8.ToArray();

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
                => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload), RequestMessage = request });
        }
    }
}
