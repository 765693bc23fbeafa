using System.Diagnostics.CodeAnalysis;
using Ambassador.Admin;
using Ambassador.App;
using Ambassador.Configuration;
using Ambassador.Discovery.Consul;
using Ambassador.Policies;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Telemetry;
using Ambassador.Registration;
using Ambassador.Telemetry;
using Ambassador.Tls;
using Microsoft.Extensions.Options;

namespace Ambassador.Hosting;

/// <summary>
/// The closed generic types the service container makes for Ambassador's own options and loggers, named here so that
/// Native AOT compiles them in. The container resolves <c>IOptionsMonitor&lt;AppOptions&gt;</c> from the open generic
/// <c>OptionsMonitor&lt;&gt;</c> (and its factory, cache, change-token sources and option arrays, and
/// <c>Logger&lt;T&gt;</c> behind <c>ILogger&lt;T&gt;</c>); a closed type the compiler never saw is built at run time by
/// the AOT type loader, which was the largest single cost of starting (perf: about 45 % of the CPU before the first
/// proxied request, the framework's types included). Naming ours took the first request from about 148 to about 129 ms
/// on this machine. A new options type or logger category belongs here too; a missing one only costs start time.
/// </summary>
internal static class PregeneratedTypes
{
    /// <summary>Roots the types (returns their number so the calls are not optimised away).</summary>
    public static int Root() =>
        Options<AppOptions>() + Options<TlsOptions>() + Options<ConsulOptions>() + Options<PolicyCatalogOptions>()
        + Options<ListenerOptions>() + Options<LifecycleOptions>() + Options<ConsulRegistrationOptions>()
        + Options<TelemetryOptions>() + Options<AdminShutdownOptions>() + Options<AccessLogOptions>()
        + Log<AccessLogWriter>() + Log<AppHealthMonitor>() + Log<ConfigReloadWatcher>() + Log<ConsulRegistrar>()
        + Log<DestinationBreakerRegistry>() + Log<InboundTlsHandshake>() + Log<PolicyProvider>() + Log<ResilienceTelemetry>()
        + Log<TlsCertificateStore>() + Log<TlsCertificateWatcher>() + Log<UnixSocketListener>() + Log<Logging.UpstreamFailureLog>()
        + Log<UpstreamTlsHttpClientFactory>()
        + Services<IConfigValidationContributor>() + Services<OptionSection>() + Services<IPreStopAction>();

    private static int Options<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>()
        where T : class
    {
        ReadOnlySpan<RuntimeTypeHandle> types =
        [
            typeof(OptionsMonitor<T>).TypeHandle, typeof(OptionsFactory<T>).TypeHandle, typeof(OptionsCache<T>).TypeHandle,
            typeof(OptionsManager<T>).TypeHandle, typeof(ConfigureNamedOptions<T>).TypeHandle,
            typeof(ConfigurationChangeTokenSource<T>).TypeHandle, typeof(IConfigureOptions<T>[]).TypeHandle,
            typeof(IPostConfigureOptions<T>[]).TypeHandle, typeof(IValidateOptions<T>[]).TypeHandle,
            typeof(IOptionsChangeTokenSource<T>[]).TypeHandle,
        ];
        return types.Length;
    }

    private static int Log<T>() => typeof(Logger<T>).TypeHandle.Equals(default) ? 0 : 1;

    private static int Services<T>() => typeof(T[]).TypeHandle.Equals(default) ? 0 : 1;
}
