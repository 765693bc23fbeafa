using System.Globalization;
using System.Text;

namespace Ambassador.Registration;

/// <summary>Consul reads durations in Go's syntax (<c>10s</c>, <c>1m</c>, <c>1m30s</c>, <c>1500ms</c>), never TimeSpan strings.</summary>
internal static class GoDuration
{
    /// <summary>Formats <paramref name="value"/> in the shortest Go form: <c>1h</c>, <c>1m30s</c>, <c>6s</c>, <c>2s500ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        var ms = (long)Math.Round(value.TotalMilliseconds, MidpointRounding.AwayFromZero);
        if (ms <= 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        void Part(long amount, string unit)
        {
            if (amount > 0)
            {
                sb.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }

        Part(ms / 3_600_000, "h");
        Part(ms / 60_000 % 60, "m");
        Part(ms / 1000 % 60, "s");
        Part(ms % 1000, "ms");
        return sb.ToString();
    }
}
