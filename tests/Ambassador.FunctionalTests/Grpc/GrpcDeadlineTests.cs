using System.Diagnostics;
using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>grpc-timeout through the policy step: it bounds the call like Total, and the upstream learns what is left.</summary>
public sealed class GrpcDeadlineTests
{
    private static Dictionary<string, string?> Total(string total) => new()
    {
        ["Ambassador:Policies:default:Retry:MaxRetries"] = "0",
        ["Ambassador:Policies:default:Timeout:PerTry"] = total,
        ["Ambassador:Policies:default:Timeout:Total"] = total,
    };

    [Fact]
    public async Task ClientDeadline_LongerThanTotal_UpstreamReceivesWhatIsLeftOfTotal()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], Total("00:00:00.500")));
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);

        var reply = await client.UnaryAsync(new EchoRequest { Text = "x" }, deadline: DateTime.UtcNow.AddSeconds(5));

        var received = Parse(reply.GrpcTimeout);
        Assert.InRange(received, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task ClientDeadline_ShorterThanTotal_UpstreamReceivesWhatIsLeftOfIt()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream]));
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);

        var reply = await client.UnaryAsync(new EchoRequest { Text = "x" }, deadline: DateTime.UtcNow.AddSeconds(3));

        // Default Total is 30 s: the client's 3 s wins, less what the hop to the proxy took.
        Assert.InRange(Parse(reply.GrpcTimeout), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task ClientDeadline_LongerThanTotal_HangingCallEndsDeadlineExceededAtTotal()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], Total("00:00:00.300")));
        var watch = Stopwatch.StartNew();

        var error = await GrpcErrorTests.CallAsync(amb, new EchoRequest { Hang = true });

        watch.Stop();
        GrpcErrorTests.AssertAmbassadorError(error, StatusCode.DeadlineExceeded, "upstream-timeout", "Cluster 'echo' (route 'grpc') did not answer in time.");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"answered after {watch.Elapsed}, the client's deadline was 20 s");
        Assert.InRange(Parse(upstream.State.LastGrpcTimeout), TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(300));
        await Poll.UntilAsync(() => upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service saw the call cancelled");
    }

    [Fact]
    public async Task GrpcTimeoutOneMillisecond_HangingCall_AmbassadorAnswersDeadlineExceeded()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream]));

        // Sent by hand: Grpc.Net.Client fails a 1 ms deadline itself, often before sending anything.
        using var response = await SendRawAsync(amb, "1m", new EchoRequest { Hang = true });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("4", Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.Equal("upstream-timeout", Assert.Single(response.Headers.GetValues("x-ambassador-error")));

        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new Echo.EchoClient(channel).UnaryAsync(new EchoRequest { Hang = true }, deadline: DateTime.UtcNow.AddMilliseconds(1)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("100")]
    [InlineData("123456789m")]
    [InlineData("-5S")]
    [InlineData("5 S")]
    [InlineData("5s")]
    public async Task GrpcTimeoutMalformed_AnsweredInternalWithoutContactingUpstream(string timeout)
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream]));

        using var response = await SendRawAsync(amb, timeout, new EchoRequest { Text = "x" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("13", Assert.Single(response.Headers.GetValues("grpc-status")));
        Assert.Equal("bad-request", Assert.Single(response.Headers.GetValues("x-ambassador-error")));
        Assert.StartsWith("The request's grpc-timeout is not a gRPC timeout", Assert.Single(response.Headers.GetValues("grpc-message")), StringComparison.Ordinal);
        Assert.Equal(0, upstream.State.Calls);
    }

    [Fact]
    public async Task TotalExpiresMidStream_ClientSeesDeadlineExceededInTrailers()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], Total("00:00:00.500")));
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        var client = new Echo.EchoClient(channel);
        var watch = Stopwatch.StartNew();

        // The client's own deadline is 30 s: only Ambassador's Total (0.5 s) can end this stream in time.
        using var call = client.ServerStream(new StreamRequest { Count = 3, HangAfter = true }, deadline: DateTime.UtcNow.AddSeconds(30));
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        watch.Stop();
        // The response had started: the status comes in the trailers that end the stream (no reset).
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal("Cluster 'echo' (route 'grpc') did not answer in time.", error.Status.Detail);
        Assert.Equal("upstream-timeout", call.GetTrailers().GetValue("x-ambassador-error"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the stream ended after {watch.Elapsed}; Total is 0.5 s");
        await Poll.UntilAsync(() => upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service saw the stream cancelled");
    }

    [Fact]
    public async Task GrpcTimeoutExpiresMidStream_StreamEndsWithStatusTrailers()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream]));
        var watch = Stopwatch.StartNew();

        // Sent by hand, so that only the wire's grpc-timeout (no client-side deadline) can end the stream.
        using var response = await SendRawAsync(amb, "500m", new StreamRequest { Count = 5, HangAfter = true }, "/ambassador.test.Echo/ServerStream");
        var body = await response.Content.ReadAsByteArrayAsync();

        watch.Stop();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"), "the response started before the deadline");
        Assert.Equal(5, CountMessages(body));
        Assert.Equal("4", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Equal("Cluster 'echo' (route 'grpc') did not answer in time.", Assert.Single(response.TrailingHeaders.GetValues("grpc-message")));
        Assert.Equal("upstream-timeout", Assert.Single(response.TrailingHeaders.GetValues("x-ambassador-error")));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the stream ended after {watch.Elapsed}; grpc-timeout is 0.5 s");
        await Poll.UntilAsync(() => upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service saw the stream cancelled");
    }

    private static int CountMessages(byte[] body)
    {
        var count = 0;
        for (var offset = 0; offset < body.Length; count++)
        {
            offset += 5 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(offset + 1, 4));
        }

        return count;
    }

    internal static async Task<HttpResponseMessage> SendRawAsync(TestAmbassador amb, string grpcTimeout, IMessage message, string path = "/ambassador.test.Echo/Unary")
    {
        using var client = new HttpClient { BaseAddress = amb.ProxyAddress, Timeout = TimeSpan.FromSeconds(20) };
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", grpcTimeout);
        return await client.SendAsync(request);
    }

    private static TimeSpan Parse(string grpcTimeout)
    {
        Assert.True(Ambassador.Policies.Grpc.GrpcTimeout.TryParse(grpcTimeout, out var timeout), $"'{grpcTimeout}' is a gRPC timeout");
        return timeout;
    }
}
