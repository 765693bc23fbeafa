using System.Net;
using Ambassador.FunctionalTests.Hosting;
using Ambassador.FunctionalTests.Infrastructure;
using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>Errors Ambassador makes itself, as a gRPC client sees them: trailers-only answers with a gRPC status.</summary>
public sealed class GrpcErrorTests
{
    private static readonly Dictionary<string, string?> NoRetries = new()
    {
        ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
    };

    [Fact]
    public async Task NoRoute_GrpcCall_Unimplemented()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        var settings = GrpcUpstream.Settings([upstream]);
        settings["ReverseProxy:Routes:grpc:Match:Path"] = "/other.Service/{**rest}";
        await using var amb = await TestAmbassador.StartAsync(settings);

        var error = await CallAsync(amb);

        AssertAmbassadorError(error, StatusCode.Unimplemented, "no-route", "No route matches POST /ambassador.test.Echo/Unary.");
        Assert.Equal(0, upstream.State.Calls);
    }

    [Fact]
    public async Task NoHealthyDestination_GrpcCall_Unavailable()
    {
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([]));

        var error = await CallAsync(amb);

        AssertAmbassadorError(error, StatusCode.Unavailable, "no-healthy-destination", "Cluster 'echo' (route 'grpc') has no resolved or healthy destination.");
    }

    [Fact]
    public async Task UpstreamUnavailable_GrpcCall_Unavailable()
    {
        var settings = GrpcUpstream.Settings([], NoRetries);
        settings["ReverseProxy:Clusters:echo:Destinations:closed:Address"] = $"http://127.0.0.1:{ErrorContractTests.FreePort()}/";
        await using var amb = await TestAmbassador.StartAsync(settings);

        var error = await CallAsync(amb);

        AssertAmbassadorError(error, StatusCode.Unavailable, "upstream-unavailable", "Cluster 'echo' (route 'grpc'): the upstream could not be reached or failed");
    }

    [Fact]
    public async Task CircuitOpen_GrpcCall_Unavailable()
    {
        var settings = GrpcUpstream.Settings([], new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
            ["Ambassador:Policies:default:CircuitBreaker:MinimumThroughput"] = "2",
            ["Ambassador:Policies:default:CircuitBreaker:BreakDuration"] = "00:00:30",
        });
        settings["ReverseProxy:Clusters:echo:Destinations:closed:Address"] = $"http://127.0.0.1:{ErrorContractTests.FreePort()}/";
        await using var amb = await TestAmbassador.StartAsync(settings);
        for (var i = 0; i < 2; i++)
        {
            AssertAmbassadorError(await CallAsync(amb), StatusCode.Unavailable, "upstream-unavailable", "Cluster 'echo' (route 'grpc'): the upstream could not be reached");
        }

        var error = await CallAsync(amb);

        AssertAmbassadorError(error, StatusCode.Unavailable, "circuit-open", "Cluster 'echo' (route 'grpc'): every destination's circuit breaker is open.");
    }

    [Fact]
    public async Task PolicyTimeout_GrpcCall_DeadlineExceeded()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
            ["Ambassador:Policies:default:Timeout:PerTry"] = "00:00:00.300",
            ["Ambassador:Policies:default:Timeout:Total"] = "00:00:00.300",
        }));

        var error = await CallAsync(amb, new EchoRequest { Hang = true });

        AssertAmbassadorError(error, StatusCode.DeadlineExceeded, "upstream-timeout", "Cluster 'echo' (route 'grpc') did not answer in time.");
        await Poll.UntilAsync(() => upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service saw the timed-out call cancelled");
    }

    [Fact]
    public async Task NoRoute_GrpcRequest_IsTrailersOnlyInTheResponseHeaders()
    {
        var settings = GrpcUpstream.Settings([]);
        settings["ReverseProxy:Routes:grpc:Match:Path"] = "/other.Service/{**rest}";
        await using var amb = await TestAmbassador.StartAsync(settings);
        using var client = new HttpClient { BaseAddress = amb.ProxyAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/nothing.Here/Call")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("12", Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.Equal("No route matches POST /nothing.Here/Call.", Assert.Single(response.Headers.GetValues("grpc-message")));
        Assert.Equal("no-route", Assert.Single(response.Headers.GetValues("x-ambassador-error")));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Empty(response.TrailingHeaders);
    }

    [Fact]
    public async Task NoRoute_PlainHttpRequest_StaysProblemJson()
    {
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([]));

        using var response = await amb.ProxyClient.PostAsync("/nothing.Here/Call", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        // The route's catch-all path matches, the cluster is empty: the HTTP caller keeps the problem+json contract.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    internal static async Task<RpcException> CallAsync(TestAmbassador amb, EchoRequest? request = null)
    {
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);
        return await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync(request ?? new EchoRequest { Text = "x" }, deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);
    }

    internal static void AssertAmbassadorError(RpcException error, StatusCode status, string reason, string detailStartsWith)
    {
        Assert.Equal(status, error.StatusCode);
        Assert.StartsWith(detailStartsWith, error.Status.Detail, StringComparison.Ordinal);
        // A trailers-only answer: the client reads its headers as the trailers.
        Assert.Equal(reason, error.Trailers.GetValue("x-ambassador-error"));
    }
}
