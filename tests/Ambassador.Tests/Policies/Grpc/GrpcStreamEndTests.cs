using Ambassador.Policies.Grpc;
using Ambassador.Policies.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies.Grpc;

public sealed class GrpcStreamEndTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly RequestDeadline _deadline;
    private readonly FakeReset _reset = new();
    private readonly MemoryStream _body = new();
    private readonly DefaultHttpContext _context = new();

    public GrpcStreamEndTests()
    {
        _deadline = new RequestDeadline(_time);
        _deadline.Start(_time.GetTimestamp(), TimeSpan.FromSeconds(1), null, CancellationToken.None);

        // The timer is armed by the first attempt, as the policy step does before forwarding.
        Assert.True(_deadline.StartAttempt());
        _context.Features.Set<IHttpResetFeature>(_reset);
        _context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(_body));
        _context.Features.Set<IHttpResponseTrailersFeature>(new FakeTrailers());
    }

    public void Dispose()
    {
        _deadline.Dispose();
        _body.Dispose();
    }

    [Fact]
    public async Task Reset_DeadlineFiredAtMessageBoundary_HeldNotReset()
    {
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        await _context.Response.Body.WriteAsync(Message(3));
        await _context.Response.Body.WriteAsync(Message(0));
        _time.Advance(TimeSpan.FromSeconds(1));

        _context.Features.Get<IHttpResetFeature>()!.Reset(2);

        Assert.True(end.Held);
        Assert.Null(_reset.Code);
        Assert.Equal(13, _body.Length);
    }

    [Fact]
    public async Task Reset_DeadlineFiredMidMessage_ResetWithCancel()
    {
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        var message = Message(10);
        await _context.Response.Body.WriteAsync(message.AsMemory(0, 8));
        _time.Advance(TimeSpan.FromSeconds(1));

        _context.Features.Get<IHttpResetFeature>()!.Reset(2);

        Assert.False(end.Held);
        Assert.Equal(GrpcStreamEnd.CancelErrorCode, _reset.Code);
    }

    [Fact]
    public async Task Reset_MessagePrefixSplitAcrossWrites_BoundaryFollowed()
    {
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        var message = Message(300);
        await _context.Response.Body.WriteAsync(message.AsMemory(0, 2));
        Assert.False(end.AtMessageBoundary);
        await _context.Response.Body.WriteAsync(message.AsMemory(2, 200));
        Assert.False(end.AtMessageBoundary);
        await _context.Response.Body.WriteAsync(message.AsMemory(202));

        Assert.True(end.AtMessageBoundary);
    }

    [Fact]
    public async Task Reset_DeadlineNotFired_PassesCodeThrough()
    {
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        await _context.Response.Body.WriteAsync(Message(3));

        _context.Features.Get<IHttpResetFeature>()!.Reset(2);

        Assert.False(end.Held);
        Assert.Equal(2, _reset.Code);
    }

    [Fact]
    public void Reset_ClientAborted_PassesCodeThrough()
    {
        using var client = new CancellationTokenSource();
        _context.RequestAborted = client.Token;
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        client.Cancel();
        _time.Advance(TimeSpan.FromSeconds(1));

        _context.Features.Get<IHttpResetFeature>()!.Reset(8);

        Assert.False(end.Held);
        Assert.Equal(8, _reset.Code);
    }

    [Fact]
    public void WriteTrailers_Held_StatusMessageAndReasonInTrailers()
    {
        var end = GrpcStreamEnd.Attach(_context, _deadline)!;
        _time.Advance(TimeSpan.FromSeconds(1));
        _context.Features.Get<IHttpResetFeature>()!.Reset(2);

        end.WriteTrailers(_context.Response, GrpcStatusCode.DeadlineExceeded, "did not answer in time (100%)", "upstream-timeout", "x-ambassador-error");
        end.ResetHeld();

        var trailers = _context.Features.Get<IHttpResponseTrailersFeature>()!.Trailers;
        Assert.Equal("4", trailers["grpc-status"]);
        Assert.Equal("did not answer in time (100%25)", trailers["grpc-message"]);
        Assert.Equal("upstream-timeout", trailers["x-ambassador-error"]);
        Assert.False(end.Held);
        Assert.Null(_reset.Code);
    }

    [Fact]
    public void Attach_NoTrailerSupport_Null()
    {
        _context.Features.Set<IHttpResponseTrailersFeature>(null);

        Assert.Null(GrpcStreamEnd.Attach(_context, _deadline));
        Assert.Same(_reset, _context.Features.Get<IHttpResetFeature>());
    }

    private static byte[] Message(int length)
    {
        var frame = new byte[5 + length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), length);
        return frame;
    }

    private sealed class FakeReset : IHttpResetFeature
    {
        public int? Code { get; private set; }

        public void Reset(int errorCode) => Code = errorCode;
    }

    private sealed class FakeTrailers : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}
