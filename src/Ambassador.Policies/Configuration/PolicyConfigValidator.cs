using Ambassador.Configuration;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Policies.Configuration;

/// <summary>
/// The checks of <c>Ambassador:Policies</c> that involve more than one key (types, ranges and unknown keys come from
/// <see cref="PolicyOptionTable"/>): <c>MaxDelay</c> ≥ <c>BaseDelay</c>, <c>PerTry</c> ≤ <c>Total</c>, and every
/// cluster's <c>Metadata:Policy</c> naming a policy that exists.
/// </summary>
internal static class PolicyConfigValidator
{
    /// <summary>Adds every cross-key and reference problem of <paramref name="configuration"/> to <paramref name="problems"/>.</summary>
    public static void Validate(IConfiguration configuration, ConfigProblems problems)
    {
        var names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase) { PolicyConstants.DefaultPolicyName, PolicyConstants.NoPolicyName };
        foreach (var policy in PolicyOptionTable.Section.Instances(configuration))
        {
            names.Add(policy.Key);
            ValidatePolicy(policy, problems);
        }

        foreach (var cluster in configuration.GetSection("ReverseProxy:Clusters").GetChildren())
        {
            var reference = cluster.GetSection("Metadata:" + PolicyConstants.ClusterMetadataKey);
            var name = reference.Value?.Trim();
            if (!string.IsNullOrEmpty(name) && !names.Contains(name))
            {
                problems.Add(reference.Path, $"no policy named '{name}'", $"use one of {string.Join(", ", names)}");
            }
        }
    }

    private static void ValidatePolicy(IConfigurationSection policy, ConfigProblems problems)
    {
        if (PolicyOptionTable.BaseDelay.TryGet(policy, out var baseDelay)
            && PolicyOptionTable.MaxDelay.TryGet(policy, out var maxDelay)
            && maxDelay < baseDelay)
        {
            problems.Add(
                $"{policy.Path}:{PolicyOptionTable.MaxDelay.Key}",
                $"'{Shown(policy, PolicyOptionTable.MaxDelay, maxDelay)}' is less than {policy.Path}:{PolicyOptionTable.BaseDelay.Key} ({Shown(policy, PolicyOptionTable.BaseDelay, baseDelay)})",
                "use a MaxDelay of at least BaseDelay");
        }

        if (PolicyOptionTable.PerTry.TryGet(policy, out var perTry)
            && PolicyOptionTable.Total.TryGet(policy, out var total)
            && perTry > total)
        {
            problems.Add(
                $"{policy.Path}:{PolicyOptionTable.PerTry.Key}",
                $"'{Shown(policy, PolicyOptionTable.PerTry, perTry)}' exceeds {policy.Path}:{PolicyOptionTable.Total.Key} ({Shown(policy, PolicyOptionTable.Total, total)})",
                "use a PerTry of at most Total");
        }

        if (PolicyOptionTable.ConsecutiveFailures.TryGet(policy, out var consecutive) && consecutive == 1)
        {
            // One failure is no pattern: a single reset would eject a healthy destination.
            problems.Add($"{policy.Path}:{PolicyOptionTable.ConsecutiveFailures.Key}", "'1' is out of range", "use 0 (off) or an integer from 2 to 10000");
        }

        // Checked only when set: a longer BreakDuration alone keeps working with the default cap.
        if (policy[PolicyOptionTable.MaxBreakDuration.Key] is not null
            && PolicyOptionTable.MaxBreakDuration.TryGet(policy, out var maxBreak)
            && PolicyOptionTable.BreakDuration.TryGet(policy, out var breakDuration)
            && maxBreak < breakDuration)
        {
            problems.Add(
                $"{policy.Path}:{PolicyOptionTable.MaxBreakDuration.Key}",
                $"'{Shown(policy, PolicyOptionTable.MaxBreakDuration, maxBreak)}' is less than {policy.Path}:{PolicyOptionTable.BreakDuration.Key} ({Shown(policy, PolicyOptionTable.BreakDuration, breakDuration)})",
                "use a MaxBreakDuration of at least BreakDuration");
        }
    }

    /// <summary>The value as the user wrote it, or the default as it would be written.</summary>
    private static string Shown(IConfigurationSection policy, DurationOption option, TimeSpan value) =>
        policy[option.Key]?.Trim() ?? OptionSpec.FormatDuration(value);
}
