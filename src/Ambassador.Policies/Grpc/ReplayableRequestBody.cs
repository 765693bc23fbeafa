namespace Ambassador.Policies.Grpc;

/// <summary>
/// A request body of unknown length (a gRPC call's stream of messages) made replayable as it streams: what the upstream
/// reads is kept, up to a limit, so a retry can send it again and then go on with the rest of the client's body.
/// A body that outgrows the limit is not replayable any more; the attempt that reads it goes on unchanged (Linkerd's rule).
/// </summary>
internal sealed class ReplayableRequestBody(Stream inner, int limit) : Stream
{
    private byte[] _buffer = [];
    private int _length;
    private int _position;
    private bool _overflowed;

    /// <summary>Whether everything read so far is kept, so the body can be sent again.</summary>
    public bool CanReplay => !_overflowed;

    /// <summary>Bytes kept for replay.</summary>
    public int BufferedBytes => _length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Starts the body again from its first byte; false when it outgrew the limit.</summary>
    public bool Rewind()
    {
        if (_overflowed)
        {
            return false;
        }

        _position = 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (TryReadBuffered(buffer.Span, out var copied))
        {
            return copied;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Keep(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (TryReadBuffered(buffer.AsSpan(offset, count), out var copied))
        {
            return copied;
        }

        var read = inner.Read(buffer, offset, count);
        Keep(buffer.AsSpan(offset, read));
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private bool TryReadBuffered(Span<byte> destination, out int copied)
    {
        copied = 0;
        if (_overflowed || _position >= _length || destination.IsEmpty)
        {
            return false;
        }

        copied = Math.Min(destination.Length, _length - _position);
        _buffer.AsSpan(_position, copied).CopyTo(destination);
        _position += copied;
        return true;
    }

    private void Keep(ReadOnlySpan<byte> read)
    {
        if (_overflowed || read.IsEmpty)
        {
            return;
        }

        if (_length + read.Length > limit)
        {
            _overflowed = true;
            _buffer = [];
            _length = _position = 0;
            return;
        }

        if (_length + read.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(limit, Math.Max(_length + read.Length, Math.Max(4096, _buffer.Length * 2))));
        }

        read.CopyTo(_buffer.AsSpan(_length));
        _length += read.Length;
        _position = _length;
    }
}
