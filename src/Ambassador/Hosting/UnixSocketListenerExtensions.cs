using Ambassador.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Registers the Unix-socket proxy listener (<c>Ambassador:Listeners:ProxyUnixSocket</c>).</summary>
public static class UnixSocketListenerExtensions
{
    /// <summary>
    /// Adds what the Unix-socket proxy listener needs beyond the listener options: setting its mode once bound and
    /// removing it on exit. The socket itself is added by <see cref="KestrelListeners"/> at host start from the
    /// validated <see cref="ListenerOptions"/>; off while <c>ProxyUnixSocket</c> is unset. A change needs a restart.
    /// </summary>
    public static WebApplicationBuilder AddAmbassadorUnixSocket(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHostedService<UnixSocketListener>();
        return builder;
    }
}
