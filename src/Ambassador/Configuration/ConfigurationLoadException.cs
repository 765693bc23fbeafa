namespace Ambassador.Configuration;

/// <summary>A configuration file could not be loaded at all (missing, malformed JSON); the problems name the file and line.</summary>
public sealed class ConfigurationLoadException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public ConfigurationLoadException(ConfigProblems problems)
        : base(problems?.ToString()) => Problems = problems ?? new ConfigProblems();

    /// <summary>Creates an empty exception.</summary>
    public ConfigurationLoadException()
        : this(new ConfigProblems())
    {
    }

    /// <summary>Creates an exception with one message.</summary>
    public ConfigurationLoadException(string message)
        : base(message) => Problems = new ConfigProblems();

    /// <summary>Creates an exception with one message and a cause.</summary>
    public ConfigurationLoadException(string message, Exception inner)
        : base(message, inner) => Problems = new ConfigProblems();

    /// <summary>Every problem, one per line.</summary>
    public ConfigProblems Problems { get; }
}
