namespace Ambassador.Configuration;

/// <summary>
/// Key patterns (relative to <c>Ambassador:</c>, <c>*</c> matching one segment) that a feature owns.
/// Any other key under <c>Ambassador</c> is reported as a likely typo.
/// </summary>
public sealed class KnownConfigKeys
{
    /// <summary>Creates a set of key patterns.</summary>
    public KnownConfigKeys(IEnumerable<string> patterns) =>
        Patterns = patterns.Select(p => p.Split(':')).ToArray();

    internal IReadOnlyList<string[]> Patterns { get; }
}

/// <summary>Matches configuration keys against every registered <see cref="KnownConfigKeys"/>.</summary>
internal sealed class KnownConfigKeyMatcher(IEnumerable<KnownConfigKeys> sets)
{
    private readonly string[][] _patterns = sets.SelectMany(s => s.Patterns).ToArray();

    /// <summary>True when <paramref name="segments"/> is a known key or a prefix of one.</summary>
    public bool IsKnown(IReadOnlyList<string> segments)
    {
        foreach (var pattern in _patterns)
        {
            if (segments.Count > pattern.Length)
            {
                // A pattern ending in "**" owns everything below it (free-form maps such as metadata).
                if (pattern[^1] != "**" || segments.Count < pattern.Length - 1)
                {
                    continue;
                }
            }

            var matches = true;
            for (var i = 0; i < segments.Count && i < pattern.Length; i++)
            {
                if (pattern[i] is "*" or "**")
                {
                    continue;
                }

                if (!string.Equals(pattern[i], segments[i], StringComparison.OrdinalIgnoreCase))
                {
                    matches = false;
                    break;
                }
            }

            if (matches)
            {
                return true;
            }
        }

        return false;
    }
}
