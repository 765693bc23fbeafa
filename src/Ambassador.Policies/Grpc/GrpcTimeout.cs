using System.Globalization;

namespace Ambassador.Policies.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header of the gRPC-over-HTTP/2 protocol: 1 to 8 ASCII digits and a unit
/// (<c>H</c> hours, <c>M</c> minutes, <c>S</c> seconds, <c>m</c> milliseconds, <c>u</c> microseconds, <c>n</c> nanoseconds).
/// </summary>
internal static class GrpcTimeout
{
    private const int MaxDigits = 8;
    private const long MaxValue = 99_999_999;

    /// <summary>Parses a header value; false for anything the spec does not allow (no sign, no spaces, no other unit).</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan timeout)
    {
        timeout = default;
        if (value.Length is < 2 or > MaxDigits + 1)
        {
            return false;
        }

        long amount = 0;
        foreach (var c in value[..^1])
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            amount = (amount * 10) + (c - '0');
        }

        long? ticks = value[^1] switch
        {
            'H' => amount * TimeSpan.TicksPerHour,
            'M' => amount * TimeSpan.TicksPerMinute,
            'S' => amount * TimeSpan.TicksPerSecond,
            'm' => amount * TimeSpan.TicksPerMillisecond,
            'u' => amount * TimeSpan.TicksPerMicrosecond,

            // A tick is 100 ns: round up, so a non-zero deadline never becomes zero.
            'n' => (amount + 99) / 100,
            _ => null,
        };
        if (ticks is null)
        {
            return false;
        }

        timeout = TimeSpan.FromTicks(ticks.Value);
        return true;
    }

    /// <summary>
    /// Formats what is left of a deadline in the finest unit that fits in 8 digits, rounded down (the upstream must not
    /// be told it has more time than the proxy will wait); at least one of that unit.
    /// </summary>
    public static string Format(TimeSpan timeout)
    {
        var ticks = Math.Max(timeout.Ticks, 1);
        if (ticks <= MaxValue / 100)
        {
            return Text(ticks * 100, 'n');
        }

        (long PerUnit, char Unit)[] units =
        [
            (TimeSpan.TicksPerMicrosecond, 'u'),
            (TimeSpan.TicksPerMillisecond, 'm'),
            (TimeSpan.TicksPerSecond, 'S'),
            (TimeSpan.TicksPerMinute, 'M'),
        ];
        foreach (var (perUnit, unit) in units)
        {
            if (ticks / perUnit <= MaxValue)
            {
                return Text(Math.Max(ticks / perUnit, 1), unit);
            }
        }

        return Text(Math.Min(ticks / TimeSpan.TicksPerHour, MaxValue), 'H');
    }

    private static string Text(long amount, char unit) => string.Create(CultureInfo.InvariantCulture, $"{amount}{unit}");
}
