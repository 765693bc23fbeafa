using System.Text.RegularExpressions;
using Ambassador.App;
using Ambassador.Configuration;
using Ambassador.Discovery.Consul;

namespace Ambassador.Registration;

/// <summary>Validates <c>Ambassador:Registration:Consul</c> and what it needs from other sections, every problem at once.</summary>
internal sealed partial class ConsulRegistrationConfigValidationContributor : IConfigValidationContributor
{
    /// <inheritdoc />
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var section = candidate.GetSection(ConsulRegistrationConstants.SectionName);
        if (!section.Exists())
        {
            return;
        }

        string Key(string name) => $"{ConsulRegistrationConstants.SectionName}:{name}";
        var name = section[nameof(ConsulRegistrationOptions.ServiceName)];
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add(Key("ServiceName"), "is required when Ambassador:Registration:Consul is present; the name callers discover, e.g. inventory");
        }
        else if (!ServiceNamePattern().IsMatch(name))
        {
            problems.Add(Key("ServiceName"), $"'{name}' is not a valid service name; use letters, digits and dashes, e.g. inventory");
        }

        var id = section[nameof(ConsulRegistrationOptions.ServiceId)];
        if (id is not null && (id.Length == 0 || id.Any(c => char.IsWhiteSpace(c) || c == '/' || char.IsControl(c))))
        {
            problems.Add(Key("ServiceId"), $"'{id}' is not a valid service id; use letters, digits, dashes and dots without '/' or spaces, e.g. inventory-1");
        }

        var address = section[nameof(ConsulRegistrationOptions.Address)];
        if (address is not null && Uri.CheckHostName(address.Trim('[', ']')) == UriHostNameType.Unknown)
        {
            problems.Add(Key("Address"), $"'{address}' is not a host name or IP address; use e.g. 10.0.0.5 or inventory-1.internal (no scheme, no port)");
        }

        OptionValues.ReadInteger(section, nameof(ConsulRegistrationOptions.Port), problems, 1, 65535, 8080);

        foreach (var tag in section.GetSection(nameof(ConsulRegistrationOptions.Tags)).GetChildren())
        {
            if (string.IsNullOrWhiteSpace(tag.Value))
            {
                problems.Add(tag.Path, "is empty; a tag is a non-empty string, e.g. primary");
            }
        }

        foreach (var meta in section.GetSection(nameof(ConsulRegistrationOptions.Meta)).GetChildren())
        {
            if (!MetaKeyPattern().IsMatch(meta.Key))
            {
                problems.Add(meta.Path, "is not a valid Consul metadata key; use up to 128 letters, digits, '-' and '_', e.g. version");
            }
            else if (meta.Value is null || meta.Value.Length > 512)
            {
                problems.Add(meta.Path, "must be a string of at most 512 characters (Consul's limit); e.g. \"1.4.2\"");
            }
        }

        var check = section.GetSection(nameof(ConsulRegistrationOptions.Check));
        var type = check[nameof(ConsulCheckOptions.Type)] ?? ConsulRegistrationConstants.TtlCheck;
        var isTtl = string.Equals(type, ConsulRegistrationConstants.TtlCheck, StringComparison.OrdinalIgnoreCase);
        var isHttp = string.Equals(type, ConsulRegistrationConstants.HttpCheck, StringComparison.OrdinalIgnoreCase);
        if (!isTtl && !isHttp)
        {
            problems.Add(check.Path + ":Type", $"'{type}' is not a check type; use ttl or http");
        }

        foreach (var duration in new[] { nameof(ConsulCheckOptions.Interval), nameof(ConsulCheckOptions.Timeout) })
        {
            if (isTtl && check[duration] is not null)
            {
                problems.Add($"{check.Path}:{duration}", "applies only to Check:Type http; a ttl check has no interval (its TTL is 3 × Ambassador:App:Health:Interval)");
            }
            else
            {
                OptionValues.ReadDuration(check, duration, problems, ConsulRegistrationConstants.MinCheckDuration, ConsulRegistrationConstants.MaxCheckDuration,
                    duration == nameof(ConsulCheckOptions.Interval) ? "00:00:10" : "00:00:05");
            }
        }

        OptionValues.ReadDuration(check, nameof(ConsulCheckOptions.DeregisterCriticalServiceAfter), problems,
            ConsulRegistrationConstants.MinDeregisterCriticalServiceAfter, ConsulRegistrationConstants.MaxDeregisterCriticalServiceAfter, "00:01:00");

        // What registration needs from its neighbours: an agent to talk to, something to advertise, a path to check.
        var consulAddress = candidate.GetSection(ConsulConstants.SectionName)["Address"];
        if (string.IsNullOrWhiteSpace(consulAddress))
        {
            problems.Add($"{ConsulConstants.SectionName}:Address", "is required by Ambassador:Registration:Consul; the Consul agent address, e.g. http://127.0.0.1:8500");
        }

        var app = candidate.GetSection(AppConstants.SectionName);
        if (string.IsNullOrWhiteSpace(app[nameof(AppOptions.Address)]) && section[nameof(ConsulRegistrationOptions.Port)] is null
            && string.IsNullOrWhiteSpace(candidate["Ambassador:Tls:CertificatePath"]))
        {
            problems.Add(Key("Port"), "is required when neither Ambassador:App:Address nor the inbound TLS listener is set; the port callers reach the service on, e.g. 8080");
        }

        if (isHttp && string.IsNullOrWhiteSpace(app[nameof(AppOptions.HealthPath)]))
        {
            problems.Add(check.Path + ":Type", "'http' needs Ambassador:App:HealthPath (the path Consul probes); set it or use ttl");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex ServiceNamePattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex MetaKeyPattern();
}
