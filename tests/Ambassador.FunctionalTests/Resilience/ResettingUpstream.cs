using System.Net;
using System.Net.Sockets;

namespace Ambassador.FunctionalTests.Resilience;

/// <summary>
/// A loopback upstream that reads a request's head and then resets the connection (RST, no response bytes).
/// WireMock.Net's <c>FaultType.EMPTY_RESPONSE</c> answers a status line with an empty body, which is not a transport fault.
/// </summary>
internal sealed class ResettingUpstream : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _hits;

    public ResettingUpstream()
    {
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Hits => Volatile.Read(ref _hits);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ResetAfterHeadAsync(socket);
        }
    }

    private async Task ResetAfterHeadAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[8192];
            var seen = 0;
            try
            {
                while (seen < buffer.Length)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(seen), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    seen += read;
                    if (buffer.AsSpan(0, seen).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }

                Interlocked.Increment(ref _hits);
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
            }
        }
    }
}
