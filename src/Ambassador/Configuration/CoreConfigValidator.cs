using Ambassador.Hosting;

namespace Ambassador.Configuration;

/// <summary>Validates the foundation's own keys: listeners, lifecycle, and unknown keys under <c>Ambassador</c>.</summary>
internal sealed class CoreConfigValidator(KnownConfigKeyMatcher knownKeys) : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var listeners = candidate.GetSection(ListenerOptions.SectionName);
        var proxy = ValidateListener(listeners, nameof(ListenerOptions.Proxy), "http", problems);
        ValidateListener(listeners, nameof(ListenerOptions.ProxyTls), "https", problems);
        var admin = ValidateListener(listeners, nameof(ListenerOptions.Admin), "http", problems);
        var proxyAddress = proxy ?? ListenerAddress.Parse(ListenerConstants.DefaultProxy);
        var adminAddress = admin ?? ListenerAddress.Parse(ListenerConstants.DefaultAdmin);
        if (proxyAddress is not null && adminAddress is not null && proxyAddress.Port != 0 && proxyAddress.Port == adminAddress.Port)
        {
            problems.Add($"{ListenerOptions.SectionName}:Admin", $"must not share port {adminAddress.Port} with the proxy listener; admin endpoints are never served on the proxy port");
        }

        var lifecycle = candidate.GetSection(LifecycleOptions.SectionName);
        ConfigValues.ReadDuration(lifecycle, nameof(LifecycleOptions.DrainTimeout), $"{LifecycleOptions.SectionName}:DrainTimeout", problems);
        ConfigValues.ReadDuration(lifecycle, nameof(LifecycleOptions.PreStopDelay), $"{LifecycleOptions.SectionName}:PreStopDelay", problems, allowZero: true);

        ReportUnknownKeys(candidate.GetSection("Ambassador"), [], problems);
    }

    private static ListenerAddress? ValidateListener(IConfigurationSection listeners, string name, string scheme, ConfigProblems problems)
    {
        var raw = listeners[name];
        if (raw is null)
        {
            return null;
        }

        var address = ListenerAddress.Parse(raw);
        if (address is null)
        {
            problems.Add($"{listeners.Path}:{name}", $"'{raw}' is not a listener URL; use {scheme}://<ip or localhost>:<port>, e.g. {scheme}://127.0.0.1:{(name == "Admin" ? 9901 : scheme == "https" ? 3443 : 3000)}");
            return null;
        }

        if (!string.Equals(address.Scheme, scheme, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{listeners.Path}:{name}", $"must use the {scheme} scheme (was '{raw}')");
            return null;
        }

        return address;
    }

    private void ReportUnknownKeys(IConfigurationSection section, List<string> path, ConfigProblems problems)
    {
        foreach (var child in section.GetChildren())
        {
            path.Add(child.Key);
            if (!knownKeys.IsKnown(path))
            {
                problems.Add(child.Path, "unknown key (a typo?); see the configuration reference in README.md");
            }
            else
            {
                ReportUnknownKeys(child, path, problems);
            }

            path.RemoveAt(path.Count - 1);
        }
    }
}
