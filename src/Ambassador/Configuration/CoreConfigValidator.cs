using Ambassador.Hosting;

namespace Ambassador.Configuration;

/// <summary>The listener check that involves two keys: the admin listener never shares the proxy listener's port.</summary>
internal sealed class CoreConfigValidator : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var listeners = candidate.GetSection(ListenerOptions.SectionName);
        if (HostOptionTable.Proxy.TryGet(listeners, out var proxyRaw) && HostOptionTable.Admin.TryGet(listeners, out var adminRaw)
            && ListenerAddress.Parse(proxyRaw) is { } proxy && ListenerAddress.Parse(adminRaw) is { } admin
            && proxy.Port != 0 && proxy.Port == admin.Port)
        {
            problems.Add(
                $"{ListenerOptions.SectionName}:{HostOptionTable.Admin.Key}",
                $"'{adminRaw}' uses port {admin.Port} of {ListenerOptions.SectionName}:{HostOptionTable.Proxy.Key}",
                "use another port (admin endpoints are never served on the proxy port)");
        }
    }
}
