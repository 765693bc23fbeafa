namespace Ambassador.Configuration;

/// <summary>
/// Every problem found in one configuration, each naming the full key and what is wrong.
/// Validation never stops at the first problem: users fix a file in one pass.
/// </summary>
public sealed class ConfigProblems
{
    private readonly List<string> _lines = [];

    /// <summary>The problems as printed: <c>key: what is wrong; what is allowed</c>, one per line, in the order found.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>True when no problem was reported.</summary>
    public bool IsValid => _lines.Count == 0;

    /// <summary>
    /// Reports a problem with <paramref name="key"/> (the full colon-separated configuration path) in the one style every
    /// configuration problem uses: <c>&lt;key&gt;: &lt;what is wrong&gt;; &lt;what is allowed or an example&gt;</c>.
    /// </summary>
    public void Add(string key, string wrong, string allowed) => _lines.Add($"{key}: {wrong}; {allowed}");

    /// <summary>Reports a problem whose message already holds both parts (<c>what is wrong; what is allowed</c>).</summary>
    public void Add(string key, string message) => _lines.Add($"{key}: {message}");

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, _lines);
}
