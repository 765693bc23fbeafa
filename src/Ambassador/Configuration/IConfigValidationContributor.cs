namespace Ambassador.Configuration;

/// <summary>
/// Validates one feature's part of a candidate configuration. Contributors run at start (problems exit 2),
/// on every reload (problems are logged and the last good configuration keeps serving) and in
/// <c>Ambassador validate</c>.
/// </summary>
public interface IConfigValidationContributor
{
    /// <summary>Adds every problem found in <paramref name="candidate"/> to <paramref name="problems"/>.</summary>
    void Validate(IConfiguration candidate, ConfigProblems problems);
}
