using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// Kestrel's socket transport, with an accept loop that stops at <see cref="ConnectionLimits.MaxConnections"/> on the
/// listeners that <see cref="ConnectionLimits"/> limits: while they are full, nothing is accepted, so the connections
/// beyond the limit wait in the kernel's listen backlog and cost the process neither memory nor CPU (HAProxy's
/// <c>maxconn</c> and nginx's <c>worker_connections</c> behave the same way). Closing them instead made the clients
/// reconnect in a tight loop, and accepting, reading and closing thousands of connections a second took the CPU
/// the admin listener needed.
/// </summary>
/// <remarks>
/// Kestrel offers no hook between its accept loop and the transport, so this factory is registered after Kestrel's own
/// (Kestrel binds with the last registered factory that can bind an endpoint) and hands every other endpoint to an
/// unchanged <see cref="SocketTransportFactory"/>. A listener is limited when its configured endpoint was registered by
/// <see cref="ConnectionLimits.Limit"/>: Kestrel binds a listener with the very <see cref="EndPoint"/> object of its
/// <c>ListenOptions</c> (so port 0 works), and binds <c>localhost</c> as two new loopback endpoints with the same port
/// (matched by value). The Unix-socket proxy listener comes through here as well: Kestrel's transport manager asks each
/// registered factory <c>CanBind</c> and binds with the first that says yes (the list is reversed, so ours is asked
/// first), and the socket transport binds a <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/> as it binds an
/// <see cref="IPEndPoint"/>; <c>ListenUnixSocket</c>'s endpoint object is the one bound, so it is matched by reference.
/// </remarks>
internal sealed class ConnectionLimitListenerFactory(IOptions<SocketTransportOptions> options, ILoggerFactory loggerFactory)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly SocketTransportFactory _sockets = new(options, loggerFactory);
    private readonly List<(EndPoint EndPoint, bool ByValue, ConnectionLimits Limits)> _limited = [];

    /// <summary>Limits the listener that will be bound with <paramref name="endPoint"/>.</summary>
    public void Add(EndPoint endPoint, bool byValue, ConnectionLimits limits)
    {
        lock (_limited)
        {
            _limited.Add((endPoint, byValue, limits));
        }
    }

    public bool CanBind(EndPoint endpoint) => _sockets.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await _sockets.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var limits = Find(endpoint);
        return limits is null ? listener : new LimitedListener(listener, limits);
    }

    private ConnectionLimits? Find(EndPoint endpoint)
    {
        lock (_limited)
        {
            foreach (var (candidate, byValue, limits) in _limited)
            {
                if (ReferenceEquals(candidate, endpoint) || (byValue && candidate.Equals(endpoint)))
                {
                    return limits;
                }
            }
        }

        return null;
    }

    /// <summary>Waits for a free slot before each accept; the slot is released when the connection's middleware ends.</summary>
    private sealed class LimitedListener(IConnectionListener inner, ConnectionLimits limits) : IConnectionListener
    {
        private readonly CancellationTokenSource _unbound = new();

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                await limits.WaitForSlotAsync(_unbound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_unbound.IsCancellationRequested)
            {
                // Unbound (shutdown) while full: null ends Kestrel's accept loop without taking one more connection
                // from the backlog.
                return null;
            }

            var connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (connection is null)
            {
                return null;
            }

            try
            {
                // The slot seen free before the accept may be gone: every limited listener waits in accept at the same
                // time, and another one may have taken the last slot meanwhile. This connection then waits here, its
                // request unread, until one closes, so the proxy never serves more than the limit (at most one
                // connection per limited listener waits in the process rather than in the backlog).
                await limits.TakeSlotAsync(connection, _unbound.Token).ConfigureAwait(false);
                return connection;
            }
            catch (OperationCanceledException) when (_unbound.IsCancellationRequested)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return null;
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            await _unbound.CancelAsync().ConfigureAwait(false);
            await inner.UnbindAsync(cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            await _unbound.CancelAsync().ConfigureAwait(false);
            await inner.DisposeAsync().ConfigureAwait(false);
            _unbound.Dispose();
        }
    }
}
