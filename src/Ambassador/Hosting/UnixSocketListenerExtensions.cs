using Ambassador.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Registers the Unix-socket proxy listener (<c>Ambassador:Listeners:ProxyUnixSocket</c>).</summary>
public static class UnixSocketListenerExtensions
{
    /// <summary>
    /// Adds the Unix-socket proxy listener, read from <paramref name="config"/> (the validated configuration) when Kestrel
    /// binds; off while <c>ProxyUnixSocket</c> is unset. Like the TCP listeners, a change needs a restart.
    /// </summary>
    public static WebApplicationBuilder AddAmbassadorUnixSocket(this WebApplicationBuilder builder, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(config);
        // Kestrel is configured while the host is built, before the validated configuration is published: like the TCP
        // listeners, the socket is read from the live configuration once (validation has rejected bad values by then).
        var live = builder.Configuration;
        builder.WebHost.ConfigureKestrel(kestrel => UnixSocketListener.Configure(kestrel, live));
        builder.Services.AddHostedService(sp => new UnixSocketListener(live, sp.GetRequiredService<ILogger<UnixSocketListener>>()));
        builder.Services.AddAmbassadorConfigValidation<UnixSocketListener.Validator>();
        builder.Services.AddAmbassadorConfigKeys("Listeners:ProxyUnixSocket", "Listeners:ProxyUnixSocketMode");
        return builder;
    }
}
