using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Ambassador.Hosting;

/// <summary>
/// Serves HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one cleartext port. Kestrel in .NET 10 picks
/// HTTP/1.1 for every cleartext connection of an Http1AndHttp2 endpoint (dotnet/aspnetcore#56984), so the
/// proxy listener stays HTTP/1.1 and this connection middleware looks at the first 24 bytes: a connection
/// that opens with the HTTP/2 preface is spliced, bytes unchanged, to an internal HTTP/2-only loopback
/// listener that serves the same routes. HTTP/1.1 connections pay one look at their first bytes.
/// </summary>
internal sealed class H2cPriorKnowledge
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly ListenerRegistry _registry;

    public H2cPriorKnowledge(ListenerRegistry registry) => _registry = registry;

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
            var buffer = result.Buffer;
            var verdict = Match(buffer);
            if (verdict is null && !result.IsCompleted)
            {
                // Not enough bytes yet to tell: consume nothing, wait for more.
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            input.AdvanceTo(buffer.Start);
            if (verdict == true)
            {
                await SpliceAsync(connection).ConfigureAwait(false);
                return;
            }

            break;
        }

        await next(connection).ConfigureAwait(false);
    };

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
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target.Port), connection.ConnectionClosed).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var upstream = PipeReader.Create(stream);
        var downstream = PipeWriter.Create(stream);
        var toInner = connection.Transport.Input.CopyToAsync(downstream, connection.ConnectionClosed)
            .ContinueWith(_ => socket.Shutdown(SocketShutdown.Send), TaskScheduler.Default);
        var toClient = upstream.CopyToAsync(connection.Transport.Output, connection.ConnectionClosed);
        try
        {
            await Task.WhenAny(toInner, toClient).ConfigureAwait(false);
            await toClient.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
        {
            // Either side went away: the connection ends like any other dropped connection.
        }
    }
}
