using Ambassador.Admin;
using Ambassador.Tls;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Ambassador's TLS: inbound termination, upstream TLS/mTLS, certificate reload and expiry telemetry.</summary>
public static class TlsServiceCollectionExtensions
{
    /// <summary>
    /// Adds TLS. <paramref name="configuration"/> is the validated configuration (<c>Ambassador:Tls</c> and cluster
    /// metadata). The Kestrel listener itself is added by the host (<c>InboundTlsHandshake.ConfigureListener</c>).
    /// </summary>
    public static IServiceCollection AddAmbassadorTls(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<TlsOptions>(configuration.GetSection(TlsConstants.SectionName));
        services.TryAddSingleton(new TlsConfiguration(configuration));
        services.TryAddSingleton<TlsCertificateStore>();
        services.TryAddSingleton<InboundTlsHandshake>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAdminConfigContributor, TlsCertificateStore>(sp => sp.GetRequiredService<TlsCertificateStore>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ITransformProvider, ClientCertificateForwarding>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TlsCertificateWatcher>());

        // AddReverseProxy registered YARP's default factory already; ours derives from it and replaces it.
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory, UpstreamTlsHttpClientFactory>());

        services.AddAmbassadorConfigValidation<TlsConfigValidator>();
        services.AddAmbassadorOptions(TlsOptionTable.Section);
        return services;
    }
}
