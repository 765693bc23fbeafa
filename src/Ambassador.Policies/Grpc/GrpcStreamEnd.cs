using System.IO.Pipelines;
using Ambassador.Policies.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ambassador.Policies.Grpc;

/// <summary>
/// Lets a gRPC stream whose deadline expires after its response started end with a status instead of a reset.
/// YARP cancels the upstream call and, because the client's response has started, resets the client's stream
/// (RST_STREAM), which a gRPC client can only report as INTERNAL or CANCELLED. HTTP/2 allows a started response to end
/// with trailers, so this feature stands in for the request's <see cref="IHttpResetFeature"/>: when the request's
/// deadline fired and every message written so far is complete, the reset is held back and the error-mapping step ends
/// the stream with <c>grpc-status: 4</c> (DEADLINE_EXCEEDED) in its trailers. It also stands in for the response body
/// feature to follow the gRPC message framing (a 5-byte prefix with the length, then the message): trailers after half a
/// message would make the client fail reading it, so a stream stopped mid-message is still reset, with CANCEL (which
/// clients report as CANCELLED, not INTERNAL). Every other reset (the client went away, the upstream broke) passes
/// through unchanged.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification =
    "The framing stream only passes writes to the server's response body, which the server owns and disposes.")]
internal sealed class GrpcStreamEnd : IHttpResetFeature, IHttpResponseBodyFeature
{
    // RFC 9113 §7 error code: CANCEL ("the stream is no longer needed"), mapped to CANCELLED by gRPC clients.
    internal const int CancelErrorCode = 0x8;

    private const int PrefixLength = 5;

    private readonly IHttpResetFeature _reset;
    private readonly IHttpResponseBodyFeature _body;
    private readonly RequestDeadline _deadline;
    private readonly CancellationToken _clientAborted;
    private readonly FramingStream _stream;

    private GrpcStreamEnd(IHttpResetFeature reset, IHttpResponseBodyFeature body, RequestDeadline deadline, CancellationToken clientAborted)
    {
        _reset = reset;
        _body = body;
        _deadline = deadline;
        _clientAborted = clientAborted;
        _stream = new FramingStream(body.Stream);
    }

    /// <summary>The reset was held back: the stream stopped at a message boundary and waits for its status trailers.</summary>
    public bool Held { get; private set; }

    /// <summary>Whether every message written to the client so far is complete.</summary>
    internal bool AtMessageBoundary => _stream.AtBoundary;

    /// <summary>
    /// Installs the feature for a gRPC request on a connection that can carry trailers (HTTP/2 and later); null when
    /// it cannot (the stream is then ended the way YARP ends any other).
    /// </summary>
    public static GrpcStreamEnd? Attach(HttpContext context, RequestDeadline deadline)
    {
        var features = context.Features;
        if (features.Get<IHttpResetFeature>() is not { } reset
            || features.Get<IHttpResponseBodyFeature>() is not { } body
            || !context.Response.SupportsTrailers())
        {
            return null;
        }

        // The client's own token: during an attempt HttpContext.RequestAborted is the attempt's.
        var end = new GrpcStreamEnd(reset, body, deadline, context.RequestAborted);
        features.Set<IHttpResetFeature>(end);
        features.Set<IHttpResponseBodyFeature>(end);
        features.Set(end);
        return end;
    }

    /// <summary>Ends a held stream with its status in the trailers (sent by the server when the response completes).</summary>
    public void WriteTrailers(HttpResponse response, GrpcStatusCode status, string message, string reason, string reasonHeader)
    {
        Held = false;
        response.AppendTrailer(GrpcProtocol.StatusHeader, GrpcProtocol.StatusText(status));
        response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcProtocol.PercentEncode(message));
        response.AppendTrailer(reasonHeader, reason);
    }

    /// <summary>Resets a stream that was held but is not ended with a status after all (never left open without one).</summary>
    public void ResetHeld()
    {
        if (Held)
        {
            Held = false;
            _reset.Reset(CancelErrorCode);
        }
    }

    void IHttpResetFeature.Reset(int errorCode)
    {
        if (!_deadline.TotalFired || _clientAborted.IsCancellationRequested)
        {
            _reset.Reset(errorCode);
            return;
        }

        if (_stream.AtBoundary)
        {
            Held = true;
            return;
        }

        _reset.Reset(CancelErrorCode);
    }

    Stream IHttpResponseBodyFeature.Stream => _stream;

    PipeWriter IHttpResponseBodyFeature.Writer
    {
        get
        {
            // Bytes written through the pipe bypass the framing count: from then on the boundary is unknown.
            _stream.Untracked = true;
            return _body.Writer;
        }
    }

    void IHttpResponseBodyFeature.DisableBuffering() => _body.DisableBuffering();

    Task IHttpResponseBodyFeature.StartAsync(CancellationToken cancellationToken) => _body.StartAsync(cancellationToken);

    Task IHttpResponseBodyFeature.SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        _stream.Untracked = true;
        return _body.SendFileAsync(path, offset, count, cancellationToken);
    }

    Task IHttpResponseBodyFeature.CompleteAsync() => _body.CompleteAsync();

    /// <summary>The response body as written, counting the gRPC message framing that passes through it.</summary>
    private sealed class FramingStream(Stream inner) : Stream
    {
        private int _prefixSeen;
        private uint _length;
        private long _bodyLeft;

        public bool Untracked { get; set; }

        public bool AtBoundary => !Untracked && _prefixSeen == 0 && _bodyLeft == 0;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Track(buffer.Span);
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // How much of it reached the client is unknown.
                Untracked = true;
                throw;
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Track(buffer.AsSpan(offset, count));
            try
            {
                inner.Write(buffer, offset, count);
            }
            catch
            {
                Untracked = true;
                throw;
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Track(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_bodyLeft > 0)
                {
                    var skipped = (int)Math.Min(_bodyLeft, data.Length);
                    _bodyLeft -= skipped;
                    data = data[skipped..];
                    continue;
                }

                // Prefix: one compressed-flag byte, then the message length as 4 bytes big-endian.
                if (_prefixSeen > 0)
                {
                    _length = (_length << 8) | data[0];
                }

                data = data[1..];
                if (++_prefixSeen == PrefixLength)
                {
                    _bodyLeft = _length;
                    _prefixSeen = 0;
                    _length = 0;
                }
            }
        }
    }
}
