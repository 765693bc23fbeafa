using System.Net;
using System.Security.Cryptography.X509Certificates;
using Ambassador.FunctionalTests.Infrastructure;
using Ambassador.FunctionalTests.Tls;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Ambassador.FunctionalTests.Grpc;

/// <summary>A real gRPC client (Grpc.Net.Client) through the real host to a real gRPC service (Grpc.AspNetCore).</summary>
public sealed class GrpcProxyTests : IAsyncLifetime
{
    private GrpcUpstream _upstream = null!;
    private TestAmbassador _amb = null!;
    private GrpcChannel _channel = null!;
    private Echo.EchoClient _client = null!;

    public async Task InitializeAsync()
    {
        _upstream = await GrpcUpstream.StartAsync();
        _amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([_upstream]));
        _channel = GrpcUpstream.Channel(_amb.ProxyAddress);
        _client = new Echo.EchoClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _amb.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Unary_OverH2c_EchoesReplyHeadersAndTrailersUnchanged()
    {
        var binary = new byte[] { 0x00, 0xff, 0x10, 0x80, 0x0a };
        using var call = _client.UnaryAsync(new EchoRequest { Text = "hello" }, new Metadata { { EchoService.EchoHeader, binary } },
            deadline: DateTime.UtcNow.AddSeconds(20));

        var reply = await call.ResponseAsync;
        var headers = await call.ResponseHeadersAsync;

        Assert.Equal("hello", reply.Text);
        Assert.Equal("a", reply.Instance);
        Assert.Equal(binary, headers.GetValueBytes(EchoService.EchoHeader));
        var status = call.GetStatus();
        Assert.Equal(StatusCode.OK, status.StatusCode);
        var trailers = call.GetTrailers();
        Assert.Equal("trailer value", trailers.GetValue(EchoService.TextTrailer));
        Assert.Equal(binary, trailers.GetValueBytes(EchoService.BinaryTrailer));
    }

    [Fact]
    public async Task ServerStreaming_ThousandsOfMessages_ArriveInOrder()
    {
        const int count = 2_000;
        using var call = _client.ServerStream(new StreamRequest { Count = count });

        var index = 0;
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal(index++, reply.Index);
        }

        Assert.Equal(count, index);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStreaming_ManyMessages_ServiceReceivesEvery()
    {
        using var call = _client.ClientStream();
        for (var i = 0; i < 500; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString(), Payload = ByteString.CopyFrom(new byte[100]) });
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync;

        Assert.Equal(500, reply.Index);
        Assert.Equal(50_000, reply.PayloadBytes);
        Assert.Equal(string.Join(",", Enumerable.Range(0, 500)), reply.Text);
    }

    [Fact]
    public async Task Bidi_InterleavedMessages_EachAnsweredBeforeTheNextIsSent()
    {
        using var call = _client.Bidi();
        for (var i = 0; i < 50; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Text = $"ping {i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"ping {i}", call.ResponseStream.Current.Text);
            Assert.Equal(i, call.ResponseStream.Current.Index);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ServiceError_NotFoundWithMessage_ArrivesAsThatStatus()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new EchoRequest { Text = "item 42 does not exist: ü", FailCode = (int)StatusCode.NotFound }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("item 42 does not exist: ü", error.Status.Detail);
        // The service's own error: Ambassador did not make it.
        Assert.Null(error.Trailers.GetValue("x-ambassador-error"));
    }

    [Fact]
    public async Task ClientCancellation_ReachesTheService()
    {
        using var cts = new CancellationTokenSource();
        using var call = _client.UnaryAsync(new EchoRequest { Hang = true }, cancellationToken: cts.Token);
        await Poll.UntilAsync(() => _upstream.State.Started == 1, TimeSpan.FromSeconds(10), "the call reached the service");

        await cts.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await Poll.UntilAsync(() => _upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service observed the cancellation");
    }

    [Fact]
    public async Task ServerStreaming_ClientCancelsMidStream_ReachesTheService()
    {
        using var cts = new CancellationTokenSource();
        using var call = _client.ServerStream(new StreamRequest { Count = 3, HangAfter = true }, cancellationToken: cts.Token);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        }

        await Poll.UntilAsync(() => _upstream.State.Started == 1, TimeSpan.FromSeconds(10), "the stream is waiting in the service");
        await cts.CancelAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await Poll.UntilAsync(() => _upstream.State.Cancelled == 1, TimeSpan.FromSeconds(10), "the service observed the cancellation");
    }

    [Fact]
    public async Task HealthCheckingProtocol_ThroughProxy_FollowsTheService()
    {
        var health = new Health.HealthClient(_channel);

        var serving = await health.CheckAsync(new HealthCheckRequest { Service = string.Empty });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, serving.Status);

        _upstream.State.Healthy = false;
        await Poll.UntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.NotServing,
            TimeSpan.FromSeconds(20), "the health service reports NOT_SERVING");

        // Watch is a server stream: its first message is the current status.
        using var watch = health.Watch(new HealthCheckRequest());
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, watch.ResponseStream.Current.Status);
    }

    [Fact]
    public async Task TlsListener_AllCallTypes_WorkOverHttp2ByAlpn()
    {
        using var certificates = new TestCertificates();
        using var ca = TestCertificates.CreateCa("gRPC Test CA");
        var (certificatePath, keyPath) = certificates.Write(certificates.IssueServer(ca), "server");
        await using var upstream = await GrpcUpstream.StartAsync("tls");
        await using var amb = await TestAmbassador.StartAsync(GrpcUpstream.Settings([upstream], new Dictionary<string, string?>
        {
            ["Ambassador:Tls:CertificatePath"] = certificatePath,
            ["Ambassador:Tls:KeyPath"] = keyPath,
        }));
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = TestCertificates.TrustOnly(ca) },
        };
        using var channel = GrpcUpstream.Channel(new Uri($"https://localhost:{amb.ProxyTlsAddress!.Port}"), handler);
        var client = new Echo.EchoClient(channel);

        var unary = await client.UnaryAsync(new EchoRequest { Text = "over tls" });
        Assert.Equal("over tls", unary.Text);
        Assert.Equal("tls", unary.Instance);

        using var stream = client.ServerStream(new StreamRequest { Count = 1_000 });
        var received = 0;
        await foreach (var _ in stream.ResponseStream.ReadAllAsync())
        {
            received++;
        }

        Assert.Equal(1_000, received);

        using var clientStream = client.ClientStream();
        for (var i = 0; i < 10; i++)
        {
            await clientStream.RequestStream.WriteAsync(new EchoRequest { Text = i.ToString() });
        }

        await clientStream.RequestStream.CompleteAsync();
        Assert.Equal(10, (await clientStream.ResponseAsync).Index);

        using var bidi = client.Bidi();
        await bidi.RequestStream.WriteAsync(new EchoRequest { Text = "ping" });
        Assert.True(await bidi.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("ping", bidi.ResponseStream.Current.Text);
        await bidi.RequestStream.CompleteAsync();
        Assert.False(await bidi.ResponseStream.MoveNext(CancellationToken.None));

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.UnaryAsync(new EchoRequest { Text = "gone", FailCode = (int)StatusCode.NotFound }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("gone", error.Status.Detail);
    }
}
