using System.Text.RegularExpressions;
using Ambassador.App;
using Ambassador.Configuration;
using Ambassador.Discovery.Consul;

namespace Ambassador.Registration;

/// <summary>
/// The cross-key checks of <c>Ambassador:Registration:Consul</c> (each value's type and range is checked from
/// <see cref="ConsulRegistrationOptionTable"/>): tags and metadata entries, what the check type allows, and what
/// registration needs from other sections.
/// </summary>
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

        string Key(OptionSpec option) => $"{section.Path}:{option.Key}";
        if (string.IsNullOrWhiteSpace(section[ConsulRegistrationOptionTable.ServiceName.Key]))
        {
            problems.Add(Key(ConsulRegistrationOptionTable.ServiceName), "is required when Ambassador:Registration:Consul is present", ConsulRegistrationOptionTable.ServiceNameAllowed);
        }

        foreach (var tag in section.GetSection(ConsulRegistrationOptionTable.Tags.Key).GetChildren())
        {
            if (tag.Value is not null && string.IsNullOrWhiteSpace(tag.Value))
            {
                problems.Add(tag.Path, "is empty", "a tag is a non-empty string, e.g. primary");
            }
        }

        foreach (var meta in section.GetSection(ConsulRegistrationOptionTable.Meta.Key).GetChildren())
        {
            if (!MetaKeyPattern().IsMatch(meta.Key))
            {
                problems.Add(meta.Path, "is not a valid Consul metadata key", "use up to 128 letters, digits, '-' and '_', e.g. version");
            }
            else if (meta.Value is { Length: > 512 })
            {
                problems.Add(meta.Path, "is longer than 512 characters (Consul's limit)", "use a shorter string, e.g. \"1.4.2\"");
            }
        }

        var type = section[ConsulRegistrationOptionTable.CheckType.Key];
        var isTtl = type is null || ConsulRegistrationOptionTable.IsCheckType(type, ConsulRegistrationConstants.TtlCheck);
        var isHttp = ConsulRegistrationOptionTable.IsCheckType(type, ConsulRegistrationConstants.HttpCheck);
        if (isTtl)
        {
            foreach (var duration in new[] { ConsulRegistrationOptionTable.CheckInterval, ConsulRegistrationOptionTable.CheckTimeout })
            {
                if (section[duration.Key] is not null)
                {
                    problems.Add(Key(duration), "applies only to Check:Type http", "remove it; a ttl check's TTL is 3 × Ambassador:App:Health:Interval");
                }
            }
        }

        // What registration needs from its neighbours: an agent to talk to, something to advertise, a path to check.
        if (string.IsNullOrWhiteSpace(candidate.GetSection(ConsulConstants.SectionName)["Address"]))
        {
            problems.Add($"{ConsulConstants.SectionName}:Address", "is required by Ambassador:Registration:Consul", "the Consul agent address, e.g. http://127.0.0.1:8500");
        }

        var app = candidate.GetSection(AppConstants.SectionName);
        if (string.IsNullOrWhiteSpace(app[AppOptionTable.Address.Key]) && section[ConsulRegistrationOptionTable.Port.Key] is null
            && string.IsNullOrWhiteSpace(candidate["Ambassador:Tls:CertificatePath"]))
        {
            problems.Add(Key(ConsulRegistrationOptionTable.Port), "is required when neither Ambassador:App:Address nor the inbound TLS listener is set", ConsulRegistrationOptionTable.PortAllowed);
        }

        if (isHttp && string.IsNullOrWhiteSpace(app[AppOptionTable.HealthPath.Key]))
        {
            problems.Add(Key(ConsulRegistrationOptionTable.CheckType), "'http' needs Ambassador:App:HealthPath (the path Consul probes)", "set it or use ttl");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}$")]
    private static partial Regex MetaKeyPattern();
}
