using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Microsoft.AspNetCore.Connections;

namespace Ambassador.Hosting;

/// <summary>
/// Watches the raw bytes of an HTTP/1.1 connection for framing Kestrel accepts but a strict proxy must not:
/// a <c>Content-Length</c> that is not <c>1*DIGIT</c> (Kestrel's number parser takes <c>+5</c> and <c>-0</c>, and
/// the header dictionary then holds the parsed number, not the raw value) and a header line ended by a bare LF.
/// The request guard reads the verdict for the request whose header block was just parsed and answers 400.
/// </summary>
/// <remarks>
/// The bytes are seen as Kestrel consumes them (each byte once), and the scanner follows the same message
/// framing (header block, then a Content-Length or chunked body), so it knows which bytes are header lines. It is
/// lenient where Kestrel is strict: anything it does not understand stops the scan for the connection, because
/// Kestrel rejects such messages itself. An upgraded connection (101) is opaque and stops the scan too.
/// </remarks>
internal sealed class RequestFramingScanner
{
    private const int LinePrefixLength = 64;
    private static readonly byte[] ContentLengthName = "content-length:"u8.ToArray();
    private static readonly byte[] TransferEncodingName = "transfer-encoding:"u8.ToArray();

    private static readonly SearchValues<byte> HexDigits = SearchValues.Create("0123456789abcdefABCDEF"u8);

    private readonly byte[] _line = new byte[LinePrefixLength];
    private State _state = State.RequestLine;
    private int _lineLength;
    private bool _lineTooLong;
    private byte _previous;
    private long _remaining;
    private long _contentLength;
    private bool _hasTransferEncoding;

    private enum State
    {
        RequestLine,
        Headers,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Off,
    }

    /// <summary>The last header block carried a Content-Length that is not <c>1*DIGIT</c>.</summary>
    public bool InvalidContentLength { get; private set; }

    /// <summary>A line of the last request line or header block ended with LF alone.</summary>
    public bool BareLineFeed { get; private set; }

    /// <summary>Connection middleware for a cleartext or TLS-terminated HTTP/1.1 listener.</summary>
    public static ConnectionDelegate Middleware(ConnectionDelegate next) => connection =>
    {
        if (connection.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>() is { } alpn
            && alpn.ApplicationProtocol.Span.SequenceEqual("h2"u8))
        {
            return next(connection); // HTTP/2 frames its messages itself
        }

        var scanner = new RequestFramingScanner();
        connection.Features.Set(scanner);
        var transport = connection.Transport;
        connection.Transport = new ScannedPipe(new ScanningReader(transport.Input, scanner), transport.Output);
        return next(connection);
    };

    /// <summary>Stops scanning: the connection was upgraded and its bytes are no longer HTTP/1.1 messages.</summary>
    public void Stop() => _state = State.Off;

    internal void Scan(ReadOnlySequence<byte> consumed)
    {
        foreach (var segment in consumed)
        {
            var span = segment.Span;
            var i = 0;
            while (i < span.Length && _state != State.Off)
            {
                switch (_state)
                {
                    case State.Body:
                    case State.ChunkData:
                        var skip = (int)Math.Min(_remaining, span.Length - i);
                        i += skip;
                        _remaining -= skip;
                        if (_remaining == 0)
                        {
                            _state = _state == State.Body ? State.RequestLine : State.ChunkDataEnd;
                        }

                        break;
                    default:
                        // Line-oriented states: the bytes up to the next LF are taken at once (a vectorised search and
                        // one copy of the line's prefix), not one by one.
                        var rest = span[i..];
                        var newline = rest.IndexOf((byte)'\n');
                        var text = newline < 0 ? rest : rest[..newline];
                        Append(text);
                        i += text.Length;
                        if (newline >= 0)
                        {
                            EndLine();
                            i++;
                        }

                        break;
                }
            }
        }
    }

    /// <summary>Bytes of the current line before its LF: the first <see cref="LinePrefixLength"/> are kept.</summary>
    private void Append(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var room = LinePrefixLength - _lineLength;
        if (text.Length > room)
        {
            _lineTooLong = true;
        }

        var kept = Math.Min(room, text.Length);
        text[..kept].CopyTo(_line.AsSpan(_lineLength));
        _lineLength += kept;
        _previous = text[^1];
    }

    /// <summary>The LF that ends the current line: hands the line (without its CR) on and starts the next.</summary>
    private void EndLine()
    {
        var bare = _previous != (byte)'\r';
        var line = _line.AsSpan(0, _lineLength);
        if (!bare)
        {
            line = line[..^1];
        }

        OnLine(line, bare);
        _lineLength = 0;
        _lineTooLong = false;
        _previous = (byte)'\n';
    }

    private void OnLine(ReadOnlySpan<byte> line, bool bare)
    {
        switch (_state)
        {
            case State.RequestLine:
                if (line.IsEmpty && !_lineTooLong)
                {
                    return; // an empty line before the request line is ignored (RFC 9112 §2.2)
                }

                InvalidContentLength = false;
                BareLineFeed = bare;
                _contentLength = -1;
                _hasTransferEncoding = false;
                _state = State.Headers;
                return;
            case State.Headers:
                BareLineFeed |= bare;
                if (line.IsEmpty && !_lineTooLong)
                {
                    EndOfHeaders();
                }
                else
                {
                    OnHeaderLine(line);
                }

                return;
            case State.ChunkSize:
                OnChunkSize(line);
                return;
            case State.ChunkDataEnd:
                _state = line.IsEmpty && !_lineTooLong ? State.ChunkSize : State.Off;
                return;
            case State.Trailers:
                if (line.IsEmpty && !_lineTooLong)
                {
                    _state = State.RequestLine;
                }

                return;
        }
    }

    private void OnHeaderLine(ReadOnlySpan<byte> line)
    {
        if (StartsWithIgnoreCase(line, TransferEncodingName))
        {
            // Kestrel answers 400 unless chunked is the final coding, so a body that reaches the app is chunked.
            _hasTransferEncoding = true;
            return;
        }

        if (!StartsWithIgnoreCase(line, ContentLengthName))
        {
            return;
        }

        var value = line[ContentLengthName.Length..].Trim(" \t"u8);
        if (_lineTooLong || value.IsEmpty || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0 || _contentLength >= 0)
        {
            InvalidContentLength = true;
            return;
        }

        // 19 digits fit a long; Kestrel rejects longer values itself.
        _contentLength = value.Length > 18 ? long.MaxValue : long.Parse(value, provider: System.Globalization.CultureInfo.InvariantCulture);
    }

    private void EndOfHeaders()
    {
        if (InvalidContentLength)
        {
            // The request is answered 400 and the connection closed: nothing after it is parsed.
            _state = State.Off;
        }
        else if (_hasTransferEncoding)
        {
            _state = State.ChunkSize;
        }
        else if (_contentLength > 0)
        {
            _remaining = _contentLength;
            _state = State.Body;
        }
        else
        {
            _state = State.RequestLine;
        }
    }

    private void OnChunkSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        var digits = end < 0 ? line : line[..end];
        if (_lineTooLong || digits.IsEmpty || digits.Length > 15 || digits.IndexOfAnyExcept(HexDigits) >= 0)
        {
            _state = State.Off; // Kestrel rejects what it cannot frame; nothing to add.
            return;
        }

        long size = 0;
        foreach (var c in digits)
        {
            size = (size << 4) | (long)HexValue(c);
        }

        if (size == 0)
        {
            _state = State.Trailers;
        }
        else
        {
            _remaining = size;
            _state = State.ChunkData;
        }
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => c - 'A' + 10,
    };

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name)
    {
        if (line.Length < name.Length)
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = line[i];
            if (c is >= (byte)'A' and <= (byte)'Z')
            {
                c |= 0x20;
            }

            if (c != name[i])
            {
                return false;
            }
        }

        return true;
    }

    private sealed class ScannedPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes reads through and shows the scanner each byte the reader consumes.</summary>
    /// <remarks>
    /// A read that does not complete at once is awaited through this object itself (an <see cref="IValueTaskSource{TResult}"/>
    /// reused for every read of the connection, which has one read outstanding at a time), not an async method: that
    /// would allocate a state machine per read, i.e. per request of every keep-alive connection.
    /// </remarks>
    private sealed class ScanningReader : PipeReader, IValueTaskSource<ReadResult>
    {
        private readonly PipeReader _inner;
        private readonly RequestFramingScanner _scanner;
        private readonly Action _onPendingCompleted;
        private ManualResetValueTaskSourceCore<ReadResult> _source;
        private ConfiguredValueTaskAwaitable<ReadResult>.ConfiguredValueTaskAwaiter _pending;
        private ReadOnlySequence<byte> _buffer;

        public ScanningReader(PipeReader inner, RequestFramingScanner scanner)
        {
            _inner = inner;
            _scanner = scanner;
            _onPendingCompleted = OnPendingCompleted;
            _source.RunContinuationsAsynchronously = false;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (_scanner._state != State.Off)
            {
                _scanner.Scan(_buffer.Slice(_buffer.Start, consumed));
            }

            _buffer = default;
            _inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => _inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => _inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var pending = _inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                var result = pending.Result;
                _buffer = result.Buffer;
                return new ValueTask<ReadResult>(result);
            }

            _source.Reset();
            _pending = pending.ConfigureAwait(false).GetAwaiter();
            _pending.UnsafeOnCompleted(_onPendingCompleted);
            return new ValueTask<ReadResult>(this, _source.Version);
        }

        ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

        void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _source.OnCompleted(continuation, state, token, flags);

        public override bool TryRead(out ReadResult result)
        {
            if (!_inner.TryRead(out result))
            {
                return false;
            }

            _buffer = result.Buffer;
            return true;
        }

        private void OnPendingCompleted()
        {
            var pending = _pending;
            _pending = default;
            ReadResult result;
            try
            {
                result = pending.GetResult();
            }
            catch (Exception e)
            {
                _source.SetException(e);
                return;
            }

            _buffer = result.Buffer;
            _source.SetResult(result);
        }
    }
}
