namespace Ambassador.Configuration;

/// <summary>
/// Holds the last configuration that passed validation. The live configuration (files, environment,
/// command line) changes whenever a file is edited; <see cref="Validated"/> changes only when the edit is
/// valid, so options, YARP routes and policies never see a bad configuration.
/// </summary>
internal sealed class ConfigGate
{
    private readonly SnapshotConfigurationProvider _snapshot;

    public ConfigGate(IConfigurationRoot live)
    {
        Live = live;
        // Empty until the first validation passes: nothing (YARP included) reads an unvalidated value.
        _snapshot = new SnapshotConfigurationProvider(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase));
        Validated = new ConfigurationRoot([_snapshot]);
    }

    /// <summary>Everything the sources say right now, valid or not.</summary>
    public IConfigurationRoot Live { get; }

    /// <summary>The last configuration that passed validation.</summary>
    public IConfigurationRoot Validated { get; }

    /// <summary>Problems of the last rejected reload, or null when the last reload was applied.</summary>
    public IReadOnlyList<string>? LastRejection { get; private set; }

    /// <summary>Validates the live configuration and, when valid, makes it the one everything reads.</summary>
    public ConfigProblems TryApply(ConfigValidator validator)
    {
        var problems = validator.Validate(Live);
        if (problems.IsValid)
        {
            LastRejection = null;
            _snapshot.Replace(Flatten(Live));
        }
        else
        {
            LastRejection = problems.Lines;
        }

        return problems;
    }

    private static Dictionary<string, string?> Flatten(IConfiguration configuration)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        // Null values are kept: an empty JSON object ("Destinations": {}) exists only as a null-valued key.
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            data[key] = value;
        }

        return data;
    }

    private sealed class SnapshotConfigurationProvider : ConfigurationProvider
    {
        public SnapshotConfigurationProvider(Dictionary<string, string?> data) => Data = data;

        public void Replace(Dictionary<string, string?> data)
        {
            Data = data;
            OnReload();
        }
    }
}
