using Ambassador.FunctionalTests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>Retries by gRPC status: only trailers-only answers, bodies replayed while they fit the buffer.</summary>
public sealed class GrpcRetryTests : IAsyncLifetime
{
    private GrpcUpstream _failing = null!;
    private GrpcUpstream _healthy = null!;

    public async Task InitializeAsync()
    {
        // FirstAlphabetical: every first attempt goes to "a", so each call shows whether it was retried.
        _failing = await GrpcUpstream.StartAsync("a");
        _failing.State.ForcedStatus = StatusCode.Unavailable;
        _healthy = await GrpcUpstream.StartAsync("b");
    }

    public async Task DisposeAsync()
    {
        await _failing.DisposeAsync();
        await _healthy.DisposeAsync();
    }

    private Task<TestAmbassador> StartAsync(string retryOn, int maxBufferedBodyBytes = 64 * 1024)
    {
        var settings = GrpcUpstream.Settings([_failing, _healthy], new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:RetryOn"] = retryOn,
            ["Ambassador:Policies:default:Retry:BaseDelay"] = "00:00:00.001",
            ["Ambassador:Policies:default:Retry:MaxBufferedBodyBytes"] = maxBufferedBodyBytes.ToString(),
        });
        settings["ReverseProxy:Clusters:echo:LoadBalancingPolicy"] = "FirstAlphabetical";
        return TestAmbassador.StartAsync(settings);
    }

    [Fact]
    public async Task Unary_FirstInstanceUnavailableTrailersOnly_SucceedsOnTheHealthyOne()
    {
        await using var amb = await StartAsync("connect-failure,grpc-unavailable");
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);

        for (var i = 0; i < 5; i++)
        {
            var reply = await client.UnaryAsync(new EchoRequest { Text = $"call {i}" });
            Assert.Equal("b", reply.Instance);
            Assert.Equal($"call {i}", reply.Text);
        }

        Assert.Equal(5, _failing.State.Calls);
        Assert.Equal(5, _healthy.State.Calls);
    }

    [Fact]
    public async Task Unary_NoGrpcConditionNamed_UnavailablePassedThroughUnretried()
    {
        await using var amb = await StartAsync("connect-failure,503");
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);

        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(channel).UnaryAsync(new EchoRequest()).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("instance a is failing", error.Status.Detail);
        Assert.Null(error.Trailers.GetValue("x-ambassador-error"));
        Assert.Equal(0, _healthy.State.Calls);
    }

    [Fact]
    public async Task ClientStreaming_WithinBuffer_ReplayedToTheHealthyOne()
    {
        await using var amb = await StartAsync("grpc-unavailable", maxBufferedBodyBytes: 4096);
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        using var call = new Echo.EchoClient(channel).ClientStream();
        for (var i = 0; i < 3; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[500]) });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;

        Assert.Equal("b", reply.Instance);
        Assert.Equal("0,1,2", reply.Text);
        Assert.Equal(1500, reply.PayloadBytes);
        Assert.Equal(1, _failing.State.Calls);
    }

    [Fact]
    public async Task ClientStreaming_LargerThanBuffer_NotRetried()
    {
        await using var amb = await StartAsync("grpc-unavailable", maxBufferedBodyBytes: 4096);
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        using var call = new Echo.EchoClient(channel).ClientStream();
        for (var i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[1000]) });
        }

        await call.RequestStream.CompleteAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("instance a is failing", error.Status.Detail);
        Assert.Equal(1, _failing.State.Calls);
        Assert.Equal(0, _healthy.State.Calls);
    }

    [Fact]
    public async Task ServerStreaming_FailsAfterAMessage_NeverRetried()
    {
        _failing.State.ForcedStatus = null;
        await using var amb = await StartAsync("grpc-unavailable");
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        using var call = new Echo.EchoClient(channel).ServerStream(new StreamRequest { Count = 1, FailCode = (int)StatusCode.Unavailable });

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("a", call.ResponseStream.Current.Instance);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("failed after 1", error.Status.Detail);
        Assert.Equal(1, _failing.State.Calls);
        Assert.Equal(0, _healthy.State.Calls);
    }
}
