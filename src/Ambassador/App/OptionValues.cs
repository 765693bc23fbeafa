using System.Globalization;
using Ambassador.Configuration;

namespace Ambassador.App;

/// <summary>
/// Reads raw option strings for the app, registration, Unix-socket and shutdown options and reports each bad value
/// as <c>&lt;full key&gt;: &lt;what is wrong&gt;; &lt;what is allowed&gt;</c>. Raw strings, so a typo is reported
/// instead of failing the binder.
/// </summary>
internal static class OptionValues
{
    public static TimeSpan? ReadDuration(IConfigurationSection section, string name, ConfigProblems problems, TimeSpan min, TimeSpan max, string example)
    {
        var raw = section[name];
        if (raw is null)
        {
            return null;
        }

        var key = $"{section.Path}:{name}";
        if (!TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value))
        {
            problems.Add(key, $"'{raw}' is not a duration; use a TimeSpan such as \"{example}\"");
            return null;
        }

        if (value < min || value > max)
        {
            problems.Add(key, $"'{raw}' is out of range; use a duration from {Format(min)} to {Format(max)}");
            return null;
        }

        return value;
    }

    public static int? ReadInteger(IConfigurationSection section, string name, ConfigProblems problems, int min, int max, int example)
    {
        var raw = section[name];
        if (raw is null)
        {
            return null;
        }

        if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            problems.Add($"{section.Path}:{name}", $"'{raw}' is not a whole number from {min} to {max}; e.g. {example}");
            return null;
        }

        return value;
    }

    public static bool? ReadBoolean(IConfigurationSection section, string name, ConfigProblems problems)
    {
        var raw = section[name];
        if (raw is null)
        {
            return null;
        }

        if (!bool.TryParse(raw, out var value))
        {
            problems.Add($"{section.Path}:{name}", $"'{raw}' is not a boolean; use true or false");
            return null;
        }

        return value;
    }

    /// <summary>TimeSpan in the constant form users write in configuration (<c>00:00:02</c>, <c>00:00:00.010</c>).</summary>
    public static string Format(TimeSpan value) => value.Days > 0 ? value.ToString("c", CultureInfo.InvariantCulture) :
        value.ToString(value.Milliseconds == 0 ? @"hh\:mm\:ss" : @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
}
