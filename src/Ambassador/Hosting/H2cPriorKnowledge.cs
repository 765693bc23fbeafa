using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ambassador.Hosting;

/// <summary>
/// Serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one cleartext port. Kestrel in .NET 10 picks
/// HTTP/1.1 for every cleartext connection of an Http1AndHttp2 endpoint (dotnet/aspnetcore#56984), so the
/// proxy listener stays HTTP/1.1 and this connection middleware looks at the first 24 bytes: a connection
/// that opens with the HTTP/2 preface is spliced, bytes unchanged, to an internal HTTP/2-only loopback
/// listener that serves the same routes. HTTP/1.1 connections pay one look at their first bytes.
/// </summary>
/// <remarks>
/// The look runs before any Kestrel timeout applies, so it has its own deadline: Kestrel's
/// <see cref="KestrelServerLimits.RequestHeadersTimeout"/> (30 s by default), the time Kestrel gives a client to
/// send a request head. A connection that sends no decisive bytes by then is closed. A connection that goes away
/// before the decision (a TCP readiness probe, a load balancer's health check) is ordinary: it is logged at Debug.
/// </remarks>
internal sealed partial class H2cPriorKnowledge
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly ListenerRegistry _registry;
    private readonly KestrelServerLimits _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public H2cPriorKnowledge(ListenerRegistry registry, KestrelServerOptions kestrel)
    {
        _registry = registry;
        // The limits object is read per connection, so a value set by any later Kestrel configuration applies.
        _limits = kestrel.Limits;
        _time = kestrel.ApplicationServices.GetService<TimeProvider>() ?? TimeProvider.System;
        _logger = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger<H2cPriorKnowledge>();
    }

    private enum Verdict
    {
        Http1,
        Http2,
        Closed,
        TimedOut,
    }

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        Verdict verdict;
        try
        {
            verdict = await SniffAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            // Reset or aborted before the first bytes: what a probe does.
            LogClosedBeforeDecision(_logger, connection.ConnectionId, ex.Message);
            return;
        }

        switch (verdict)
        {
            case Verdict.Http1:
                await next(connection).ConfigureAwait(false);
                break;
            case Verdict.Http2:
                await SpliceAsync(connection).ConfigureAwait(false);
                break;
            case Verdict.Closed:
                LogClosedBeforeDecision(_logger, connection.ConnectionId, "end of stream");
                break;
            default:
                LogTimedOut(_logger, connection.ConnectionId, _limits.RequestHeadersTimeout);
                connection.Abort(new ConnectionAbortedException("No request within the request headers timeout."));
                break;
        }
    };

    private async Task<Verdict> SniffAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var deadline = new CancellationTokenSource(_limits.RequestHeadersTimeout, _time);
        using var closed = connection.ConnectionClosed.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested)
            {
                return Verdict.TimedOut;
            }

            var buffer = result.Buffer;
            var match = Match(buffer);
            if (match is null && !result.IsCompleted)
            {
                // Not enough bytes yet to tell: consume nothing, wait for more.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            input.AdvanceTo(buffer.Start);
            return match switch
            {
                true => Verdict.Http2,
                false => Verdict.Http1,
                // The client ended the stream with nothing or a part of the preface: nothing to serve.
                null => Verdict.Closed,
            };
        }
    }

    private static bool? Match(ReadOnlySequence<byte> buffer)
    {
        var length = (int)Math.Min(buffer.Length, Preface.Length);
        Span<byte> head = stackalloc byte[Preface.Length];
        buffer.Slice(0, length).CopyTo(head);
        if (!head[..length].SequenceEqual(Preface.AsSpan(0, length)))
        {
            return false;
        }

        return length == Preface.Length ? true : null;
    }

    private async Task SpliceAsync(ConnectionContext connection)
    {
        var target = _registry.GetAddress(ListenerNames.ProxyH2c);
        if (target is null)
        {
            connection.Abort();
            return;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port), connection.ConnectionClosed).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var upstream = PipeReader.Create(stream);
            var downstream = PipeWriter.Create(stream);
            var toInner = CopyThenShutdownAsync(connection, downstream, socket);
            var toClient = upstream.CopyToAsync(connection.Transport.Output, connection.ConnectionClosed);
            await Task.WhenAny(toInner, toClient).ConfigureAwait(false);
            await toClient.ConfigureAwait(false);
            await toInner.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Either side went away: the connection ends like any other dropped connection.
            LogSpliceEnded(_logger, connection.ConnectionId, ex.Message);
        }
    }

    private static async Task CopyThenShutdownAsync(ConnectionContext connection, PipeWriter downstream, Socket socket)
    {
        try
        {
            await connection.Transport.Input.CopyToAsync(downstream, connection.ConnectionClosed).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client or the inner listener went away; the other direction ends on its own.
        }
    }
}
