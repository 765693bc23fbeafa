namespace Ambassador.Configuration;

/// <summary>
/// Every problem found in one configuration, each naming the full key and what is wrong.
/// Validation never stops at the first problem: users fix a file in one pass.
/// </summary>
public sealed class ConfigProblems
{
    private readonly List<string> _lines = [];

    /// <summary>The problems as printed: <c>key: message</c>, one per line, in the order found.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>True when no problem was reported.</summary>
    public bool IsValid => _lines.Count == 0;

    /// <summary>Reports a problem with <paramref name="key"/> (the full colon-separated configuration path).</summary>
    public void Add(string key, string message) => _lines.Add($"{key}: {message}");

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, _lines);
}
