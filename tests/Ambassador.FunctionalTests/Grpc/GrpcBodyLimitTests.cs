using System.Net;
using Ambassador.FunctionalTests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>
/// A route's <c>MaxRequestBodySize</c> stops HTTP/2 bodies of unknown length (every gRPC call's) as it stops HTTP/1.1
/// ones with a Content-Length: gRPC callers get RESOURCE_EXHAUSTED, HTTP callers 413 <c>body-too-large</c>.
/// </summary>
public sealed class GrpcBodyLimitTests
{
    private const int Limit = 16 * 1024;

    private static Dictionary<string, string?> LimitedRoute(GrpcUpstream upstream, string retryOn)
    {
        var settings = GrpcUpstream.Settings([upstream], new Dictionary<string, string?>
        {
            ["Ambassador:Policies:default:Retry:RetryOn"] = retryOn,
        });
        settings["ReverseProxy:Routes:grpc:MaxRequestBodySize"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    [Theory]
    [InlineData("connect-failure")]
    [InlineData("connect-failure,grpc-unavailable")] // the body is kept for replay as it streams
    public async Task Unary64KiB_RouteLimit16KiB_ResourceExhausted(string retryOn)
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(LimitedRoute(upstream, retryOn));
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);

        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(channel)
            .UnaryAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[64 * 1024]) }, deadline: DateTime.UtcNow.AddSeconds(20)).ResponseAsync);

        GrpcErrorTests.AssertAmbassadorError(error, StatusCode.ResourceExhausted, "body-too-large", "The request body is larger than the limit of route 'grpc'.");
        Assert.Equal(0, upstream.State.Calls);
    }

    [Theory]
    [InlineData("connect-failure")]
    [InlineData("connect-failure,grpc-unavailable")]
    public async Task ClientStream64KiB_RouteLimit16KiB_ResourceExhausted(string retryOn)
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(LimitedRoute(upstream, retryOn));
        using var channel = GrpcUpstream.Channel(amb.ProxyAddress);
        using var call = new Echo.EchoClient(channel).ClientStream(deadline: DateTime.UtcNow.AddSeconds(20));

        try
        {
            for (var i = 0; i < 16; i++)
            {
                await call.RequestStream.WriteAsync(new EchoRequest { Payload = ByteString.CopyFrom(new byte[4 * 1024]) });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The proxy may answer (and end the call) before the client has written everything.
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);

        GrpcErrorTests.AssertAmbassadorError(error, StatusCode.ResourceExhausted, "body-too-large", "The request body is larger than the limit of route 'grpc'.");
    }

    [Fact]
    public async Task Http2BodyWithoutContentLength_RouteLimit16KiB_Returns413()
    {
        await using var upstream = await GrpcUpstream.StartAsync();
        await using var amb = await TestAmbassador.StartAsync(LimitedRoute(upstream, "connect-failure"));
        using var client = new HttpClient { BaseAddress = amb.ProxyAddress, Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // A stream of unknown length: sent as DATA frames with no Content-Length.
            Content = new StreamContent(new UnknownLengthStream(64 * 1024)),
        };

        using var response = await client.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body-too-large", Assert.Single(response.Headers.GetValues("x-ambassador-error")));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Zeros of a given total length that do not tell their length (no Content-Length header).</summary>
    private sealed class UnknownLengthStream(int length) : Stream
    {
        private int _left = length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 4096), _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
