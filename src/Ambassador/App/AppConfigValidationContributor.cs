using Ambassador.Configuration;

namespace Ambassador.App;

/// <summary>
/// The cross-key checks of <c>Ambassador:App</c> (each value's type and range is checked from <see cref="AppOptionTable"/>):
/// the address is required once the section is present, and a probe may not outlast its interval.
/// </summary>
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

        if (string.IsNullOrWhiteSpace(section[AppOptionTable.Address.Key]))
        {
            problems.Add($"{section.Path}:{AppOptionTable.Address.Key}", "is required when the Ambassador:App section is present", AppOptionTable.AddressAllowed);
        }

        if (AppOptionTable.Interval.TryGet(section, out var interval) && AppOptionTable.Timeout.TryGet(section, out var timeout) && timeout > interval)
        {
            problems.Add(
                $"{section.Path}:{AppOptionTable.Timeout.Key}",
                $"'{section[AppOptionTable.Timeout.Key]}' is longer than {section.Path}:{AppOptionTable.Interval.Key} ({OptionSpec.FormatDuration(interval)})",
                "use a timeout no longer than the interval");
        }
    }
}
