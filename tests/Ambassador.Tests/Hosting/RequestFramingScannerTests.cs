using System.Buffers;
using System.Text;
using Ambassador.Hosting;

namespace Ambassador.Tests.Hosting;

/// <summary>
/// The scanner sees a connection's bytes in whatever pieces the transport delivers: its verdicts must not depend on
/// where those pieces break (inside a line, between CR and LF, inside a body).
/// </summary>
public sealed class RequestFramingScannerTests
{
    public static TheoryData<string, string, bool, bool> Inputs => new()
    {
        { "clean-pipelined", "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\n\r\n", false, false },
        { "plus-sign", "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", true, false },
        { "bare-lf-header", "POST /a HTTP/1.1\r\nHost: h\r\nX-A: a\nContent-Length: 5\r\n\r\nhello", false, true },
        { "bare-lf-after-lf", "GET /a HTTP/1.1\r\nHost: h\r\n\n", false, true },
        { "long-header-then-cl", "GET /a HTTP/1.1\r\nX-Long: " + new string('x', 200) + "\r\nContent-Length: -0\r\n\r\n", true, false },
        { "chunked-then-invalid", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nX-T: t\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3x\r\n\r\n", true, false },
        { "body-holds-bad-bytes", "POST /a HTTP/1.1\r\nContent-Length: 24\r\n\r\nContent-Length: +1\nX: y\nGET /b HTTP/1.1\r\n\r\n", false, false },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Scan_AnySplitOfTheBytes_GivesTheVerdictOfTheWhole(string name, string input, bool invalidContentLength, bool bareLineFeed)
    {
        var bytes = Encoding.Latin1.GetBytes(input);

        var whole = new RequestFramingScanner();
        whole.Scan(new ReadOnlySequence<byte>(bytes));
        Assert.True(invalidContentLength == whole.InvalidContentLength, $"{name}: InvalidContentLength, whole");
        Assert.True(bareLineFeed == whole.BareLineFeed, $"{name}: BareLineFeed, whole");

        // Two reads split at every position, and one read of many one-byte segments.
        for (var split = 1; split < bytes.Length; split++)
        {
            var scanner = new RequestFramingScanner();
            scanner.Scan(new ReadOnlySequence<byte>(bytes, 0, split));
            scanner.Scan(new ReadOnlySequence<byte>(bytes, split, bytes.Length - split));
            Assert.True(invalidContentLength == scanner.InvalidContentLength, $"{name}: InvalidContentLength, split at {split}");
            Assert.True(bareLineFeed == scanner.BareLineFeed, $"{name}: BareLineFeed, split at {split}");
        }

        var bytewise = new RequestFramingScanner();
        bytewise.Scan(OneByteSegments(bytes));
        Assert.True(invalidContentLength == bytewise.InvalidContentLength, $"{name}: InvalidContentLength, one-byte segments");
        Assert.True(bareLineFeed == bytewise.BareLineFeed, $"{name}: BareLineFeed, one-byte segments");
    }

    private static ReadOnlySequence<byte> OneByteSegments(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
