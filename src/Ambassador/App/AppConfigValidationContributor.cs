using Ambassador.Configuration;

namespace Ambassador.App;

/// <summary>Validates <c>Ambassador:App</c> at start, on reload and in <c>ambassador validate</c>, every problem at once.</summary>
internal sealed class AppConfigValidationContributor : IConfigValidationContributor
{
    /// <inheritdoc />
    public void Validate(IConfiguration candidate, ConfigProblems problems)
    {
        var section = candidate.GetSection(AppConstants.SectionName);
        if (!section.Exists())
        {
            return;
        }

        var address = section[nameof(AppOptions.Address)];
        if (string.IsNullOrWhiteSpace(address))
        {
            problems.Add($"{AppConstants.SectionName}:Address", "is required when the Ambassador:App section is present; an absolute http URL such as http://127.0.0.1:8080");
        }
        else if (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query))
        {
            problems.Add($"{AppConstants.SectionName}:Address", $"'{address}' is not an absolute http(s) URL without a path; use e.g. http://127.0.0.1:8080");
        }

        var path = section[nameof(AppOptions.HealthPath)];
        if (path is not null && (!path.StartsWith('/') || path.StartsWith("//", StringComparison.Ordinal) || path.Any(char.IsWhiteSpace)))
        {
            problems.Add($"{AppConstants.SectionName}:HealthPath", $"'{path}' is not an absolute path; use e.g. /health");
        }

        OptionValues.ReadBoolean(section, nameof(AppOptions.ReadinessGate), problems);

        var health = section.GetSection(nameof(AppOptions.Health));
        var interval = OptionValues.ReadDuration(health, nameof(AppHealthOptions.Interval), problems, AppConstants.MinDuration, AppConstants.MaxDuration, "00:00:02");
        var timeout = OptionValues.ReadDuration(health, nameof(AppHealthOptions.Timeout), problems, AppConstants.MinDuration, AppConstants.MaxDuration, "00:00:01");
        if (timeout is { } t && t > (interval ?? AppConstants.DefaultInterval) && (interval is not null || health[nameof(AppHealthOptions.Interval)] is null))
        {
            var effective = interval ?? AppConstants.DefaultInterval;
            problems.Add($"{health.Path}:Timeout", $"'{health["Timeout"]}' is longer than Ambassador:App:Health:Interval ({OptionValues.Format(effective)}); use a timeout no longer than the interval");
        }

        OptionValues.ReadInteger(health, nameof(AppHealthOptions.UnhealthyThreshold), problems, 1, AppConstants.MaxThreshold, AppConstants.DefaultUnhealthyThreshold);
        OptionValues.ReadInteger(health, nameof(AppHealthOptions.HealthyThreshold), problems, 1, AppConstants.MaxThreshold, AppConstants.DefaultHealthyThreshold);
    }
}
