using System.Globalization;

namespace Ambassador.Configuration;

/// <summary>Reads typed values from configuration, reporting a problem that names the key when a value does not parse.</summary>
public static class ConfigValues
{
    /// <summary>Reads a TimeSpan (<c>"00:00:00.500"</c>); null when absent. Reports non-positive values when <paramref name="mustBePositive"/>.</summary>
    public static TimeSpan? ReadDuration(IConfiguration section, string key, string fullPath, ConfigProblems problems, bool mustBePositive = true, bool allowZero = false)
    {
        var raw = section[key];
        if (raw is null)
        {
            return null;
        }

        if (!TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value))
        {
            problems.Add(fullPath, $"'{raw}' is not a duration; use a TimeSpan such as \"00:00:00.500\" or \"00:05:00\"");
            return null;
        }

        if (mustBePositive && (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero)))
        {
            problems.Add(fullPath, allowZero ? $"must not be negative (was {raw})" : $"must be a positive duration (was {raw})");
            return null;
        }

        return value;
    }

    /// <summary>Reads a number in [<paramref name="min"/>, <paramref name="max"/>]; null when absent.</summary>
    public static double? ReadNumber(IConfiguration section, string key, string fullPath, ConfigProblems problems, double min, double max)
    {
        var raw = section[key];
        if (raw is null)
        {
            return null;
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
        {
            problems.Add(fullPath, $"'{raw}' is not a number");
            return null;
        }

        if (value < min || value > max)
        {
            problems.Add(fullPath, $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (was {raw})");
            return null;
        }

        return value;
    }

    /// <summary>Reads a boolean (<c>true</c>/<c>false</c>); null when absent.</summary>
    public static bool? ReadBoolean(IConfiguration section, string key, string fullPath, ConfigProblems problems)
    {
        var raw = section[key];
        if (raw is null)
        {
            return null;
        }

        if (!bool.TryParse(raw, out var value))
        {
            problems.Add(fullPath, $"'{raw}' is not a boolean; use true or false");
            return null;
        }

        return value;
    }
}
