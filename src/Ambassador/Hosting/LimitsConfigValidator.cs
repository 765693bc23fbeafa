using System.Globalization;
using Ambassador.Configuration;

namespace Ambassador.Hosting;

/// <summary>Validates <c>Ambassador:Limits</c>.</summary>
internal sealed class LimitsConfigValidator : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems) =>
        ReadMaxConnections(candidate.GetSection(LimitsOptions.SectionName), problems);

    internal static int ReadMaxConnections(IConfigurationSection section, ConfigProblems? problems)
    {
        var raw = section[nameof(LimitsOptions.MaxConnections)];
        if (raw is null)
        {
            return LimitsConstants.DefaultMaxConnections;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value is >= LimitsConstants.MinMaxConnections and <= LimitsConstants.MaxMaxConnections)
        {
            return value;
        }

        problems?.Add($"{section.Path}:{nameof(LimitsOptions.MaxConnections)}",
            $"'{raw}' is not a whole number from {LimitsConstants.MinMaxConnections} to {LimitsConstants.MaxMaxConnections}; e.g. {LimitsConstants.DefaultMaxConnections}");
        return LimitsConstants.DefaultMaxConnections;
    }
}
