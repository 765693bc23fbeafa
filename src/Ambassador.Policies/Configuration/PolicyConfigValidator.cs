using System.Globalization;
using Ambassador.Policies.Budget;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Limits;
using Ambassador.Policies.LoadBalancing;
using Ambassador.Policies.Retry;
using Ambassador.Policies.Timeout;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Policies.Configuration;

/// <summary>
/// Validates <c>Ambassador:Policies</c> and the clusters' <c>Metadata:Policy</c> references in a candidate
/// configuration. Reports every problem, each as the full configuration key and what is wrong with it.
/// </summary>
internal static class PolicyConfigValidator
{
    internal enum ValueKind
    {
        Int,
        Double,
        Bool,
        Duration,
        Text,
    }

    /// <summary>Every leaf key of a policy, relative to <c>Ambassador:Policies:&lt;name&gt;</c>.</summary>
    internal static readonly IReadOnlyList<(string Key, ValueKind Kind)> Keys =
    [
        ("Retry:MaxRetries", ValueKind.Int),
        ("Retry:BaseDelay", ValueKind.Duration),
        ("Retry:MaxDelay", ValueKind.Duration),
        ("Retry:RetryOn", ValueKind.Text),
        ("Retry:RetryNonIdempotent", ValueKind.Bool),
        ("Retry:MaxBufferedBodyBytes", ValueKind.Int),
        ("Retry:Budget:Ratio", ValueKind.Double),
        ("Retry:Budget:MinPerSecond", ValueKind.Int),
        ("CircuitBreaker:FailureRatio", ValueKind.Double),
        ("CircuitBreaker:MinimumThroughput", ValueKind.Int),
        ("CircuitBreaker:SamplingDuration", ValueKind.Duration),
        ("CircuitBreaker:BreakDuration", ValueKind.Duration),
        ("CircuitBreaker:ConsecutiveFailures", ValueKind.Int),
        ("CircuitBreaker:MaxBreakDuration", ValueKind.Duration),
        ("CircuitBreaker:MaxEjectionPercent", ValueKind.Int),
        ("Limits:MaxConcurrentRequests", ValueKind.Int),
        ("Limits:MaxQueuedRequests", ValueKind.Int),
        ("Limits:QueueTimeout", ValueKind.Duration),
        ("Limits:MaxConcurrentRetries", ValueKind.Int),
        ("LoadBalancing:DecayWindow", ValueKind.Duration),
        ("Timeout:PerTry", ValueKind.Duration),
        ("Timeout:Total", ValueKind.Duration),
    ];

    /// <summary>The key patterns this feature owns under <c>Ambassador:</c>, for the host's typo detection.</summary>
    public static string[] KeyPatterns() => [.. Keys.Select(k => "Policies:*:" + k.Key)];

    /// <summary>Validates <paramref name="configuration"/>; calls <paramref name="report"/> once per problem.</summary>
    public static void Validate(IConfiguration configuration, Action<string, string> report)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { PolicyConstants.DefaultPolicyName, PolicyConstants.NoPolicyName };
        foreach (var section in configuration.GetSection(PolicyConstants.SectionPath).GetChildren())
        {
            names.Add(section.Key);
            ValidatePolicy(section, report);
        }

        foreach (var cluster in configuration.GetSection("ReverseProxy:Clusters").GetChildren())
        {
            var reference = cluster.GetSection("Metadata:" + PolicyConstants.ClusterMetadataKey);
            var name = reference.Value?.Trim();
            if (!string.IsNullOrEmpty(name) && !names.Contains(name))
            {
                report(reference.Path, $"no policy named '{name}'");
            }
        }
    }

    /// <summary>Validates one policy section (<c>Ambassador:Policies:&lt;name&gt;</c>).</summary>
    public static void ValidatePolicy(IConfigurationSection section, Action<string, string> report)
    {
        if (section.Value is not null)
        {
            report(section.Path, "must be a section with Retry, CircuitBreaker, Timeout, Limits and/or LoadBalancing settings, not a value");
            return;
        }

        var parsable = true;
        foreach (var (key, kind) in Keys)
        {
            var value = section[key];
            if (value is not null && !CanParse(value, kind, out var problem))
            {
                report(section.Path + ":" + key, problem);
                parsable = false;
            }
        }

        if (!parsable)
        {
            return;
        }

        var options = new PolicyOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            report(section.Path, ex.Message);
            return;
        }

        var found = 0;
        foreach (var (key, message) in Check(options))
        {
            report(section.Path + ":" + key, message);
            found++;
        }

        // The DataAnnotations on the options must agree; anything they catch that the checks above missed is still reported.
        if (found == 0)
        {
            var result = new PolicyOptionsDataAnnotationsValidator().Validate(section.Key, options);
            if (result.Failed)
            {
                foreach (var failure in result.Failures ?? [])
                {
                    report(section.Path, failure);
                }
            }
        }
    }

    /// <summary>Semantic checks of bound options; keys relative to the policy section.</summary>
    public static IEnumerable<(string Key, string Message)> Check(PolicyOptions options)
    {
        var retry = options.Retry;
        if (retry.MaxRetries is < RetryConstants.MinMaxRetries or > RetryConstants.MaxMaxRetries)
        {
            yield return ("Retry:MaxRetries", $"must be between {RetryConstants.MinMaxRetries} and {RetryConstants.MaxMaxRetries}");
        }

        var minDelay = TimeSpan.Parse(RetryConstants.MinDelayText, CultureInfo.InvariantCulture);
        var maxDelay = TimeSpan.Parse(RetryConstants.MaxDelayText, CultureInfo.InvariantCulture);
        var delaysInRange = true;
        if (retry.BaseDelay < minDelay || retry.BaseDelay > maxDelay)
        {
            delaysInRange = false;
            yield return ("Retry:BaseDelay", $"must be between {RetryConstants.MinDelayText} and {RetryConstants.MaxDelayText}");
        }

        if (retry.MaxDelay < minDelay || retry.MaxDelay > maxDelay)
        {
            delaysInRange = false;
            yield return ("Retry:MaxDelay", $"must be between {RetryConstants.MinDelayText} and {RetryConstants.MaxDelayText}");
        }

        if (delaysInRange && retry.MaxDelay < retry.BaseDelay)
        {
            yield return ("Retry:MaxDelay", $"must be at least Retry:BaseDelay ({Format(retry.BaseDelay)})");
        }

        var conditions = RetryConditionsParser.Parse(retry.RetryOn, out var unknown);
        if (unknown is not null)
        {
            yield return ("Retry:RetryOn", $"unknown condition(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))}; use any of: {RetryConditionsParser.Accepted}");
        }
        else if (conditions == RetryConditions.None)
        {
            yield return ("Retry:RetryOn", $"must name at least one of: {RetryConditionsParser.Accepted} (set Retry:MaxRetries to 0 to turn retries off)");
        }

        if (retry.MaxBufferedBodyBytes is < 0 or > RetryConstants.MaxMaxBufferedBodyBytes)
        {
            yield return ("Retry:MaxBufferedBodyBytes", $"must be between 0 and {RetryConstants.MaxMaxBufferedBodyBytes}");
        }

        var budget = retry.Budget;
        if (!(budget.Ratio >= 0 && budget.Ratio <= RetryBudgetConstants.MaxRatio))
        {
            yield return ("Retry:Budget:Ratio", $"must be between 0 and {RetryBudgetConstants.MaxRatio}");
        }

        if (budget.MinPerSecond is < 0 or > RetryBudgetConstants.MaxMinPerSecond)
        {
            yield return ("Retry:Budget:MinPerSecond", $"must be between 0 and {RetryBudgetConstants.MaxMinPerSecond}");
        }

        var breaker = options.CircuitBreaker;
        if (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1))
        {
            yield return ("CircuitBreaker:FailureRatio", "must be greater than 0 and at most 1");
        }

        if (breaker.MinimumThroughput is < CircuitBreakerConstants.MinMinimumThroughput or > CircuitBreakerConstants.MaxMinimumThroughput)
        {
            yield return ("CircuitBreaker:MinimumThroughput", $"must be between {CircuitBreakerConstants.MinMinimumThroughput} and {CircuitBreakerConstants.MaxMinimumThroughput}");
        }

        var minBreak = TimeSpan.Parse(CircuitBreakerConstants.MinDurationText, CultureInfo.InvariantCulture);
        var maxBreak = TimeSpan.Parse(CircuitBreakerConstants.MaxDurationText, CultureInfo.InvariantCulture);
        if (breaker.SamplingDuration < minBreak || breaker.SamplingDuration > maxBreak)
        {
            yield return ("CircuitBreaker:SamplingDuration", $"must be between {CircuitBreakerConstants.MinDurationText} and {CircuitBreakerConstants.MaxDurationText}");
        }

        var breakInRange = true;
        if (breaker.BreakDuration < minBreak || breaker.BreakDuration > maxBreak)
        {
            breakInRange = false;
            yield return ("CircuitBreaker:BreakDuration", $"must be between {CircuitBreakerConstants.MinDurationText} and {CircuitBreakerConstants.MaxDurationText}");
        }

        if (breaker.ConsecutiveFailures != 0
            && breaker.ConsecutiveFailures is < CircuitBreakerConstants.MinConsecutiveFailures or > CircuitBreakerConstants.MaxConsecutiveFailures)
        {
            yield return ("CircuitBreaker:ConsecutiveFailures", $"{breaker.ConsecutiveFailures} is out of range; use 0 (off) or {CircuitBreakerConstants.MinConsecutiveFailures} to {CircuitBreakerConstants.MaxConsecutiveFailures}");
        }

        if (breaker.MaxBreakDuration < minBreak || breaker.MaxBreakDuration > maxBreak)
        {
            yield return ("CircuitBreaker:MaxBreakDuration", $"{Format(breaker.MaxBreakDuration)} is out of range; use {CircuitBreakerConstants.MinDurationText} to {CircuitBreakerConstants.MaxDurationText}");
        }
        else if (breakInRange && breaker.MaxBreakDuration != CircuitBreakerConstants.DefaultMaxBreakDuration && breaker.MaxBreakDuration < breaker.BreakDuration)
        {
            // Only an explicit value: a BreakDuration above the default maximum simply never grows.
            yield return ("CircuitBreaker:MaxBreakDuration", $"{Format(breaker.MaxBreakDuration)} is shorter than CircuitBreaker:BreakDuration; use at least {Format(breaker.BreakDuration)}");
        }

        if (breaker.MaxEjectionPercent is < 0 or > 100)
        {
            yield return ("CircuitBreaker:MaxEjectionPercent", $"{breaker.MaxEjectionPercent} is out of range; use 0 to 100 (a cluster may always eject one destination)");
        }

        var limits = options.Limits;
        if (limits.MaxConcurrentRequests is < 1 or > LimitsConstants.MaxCount)
        {
            yield return ("Limits:MaxConcurrentRequests", $"{limits.MaxConcurrentRequests} is out of range; use 1 to {LimitsConstants.MaxCount}");
        }

        if (limits.MaxQueuedRequests is < 0 or > LimitsConstants.MaxCount)
        {
            yield return ("Limits:MaxQueuedRequests", $"{limits.MaxQueuedRequests} is out of range; use 0 (no queue) to {LimitsConstants.MaxCount}");
        }

        var minQueue = TimeSpan.Parse(LimitsConstants.MinQueueTimeoutText, CultureInfo.InvariantCulture);
        var maxQueue = TimeSpan.Parse(LimitsConstants.MaxQueueTimeoutText, CultureInfo.InvariantCulture);
        if (limits.QueueTimeout < minQueue || limits.QueueTimeout > maxQueue)
        {
            yield return ("Limits:QueueTimeout", $"{Format(limits.QueueTimeout)} is out of range; use {LimitsConstants.MinQueueTimeoutText} to {LimitsConstants.MaxQueueTimeoutText}");
        }

        if (limits.MaxConcurrentRetries is < 0 or > LimitsConstants.MaxCount)
        {
            yield return ("Limits:MaxConcurrentRetries", $"{limits.MaxConcurrentRetries} is out of range; use 0 (no retries) to {LimitsConstants.MaxCount}");
        }

        var minDecay = TimeSpan.Parse(LoadBalancingConstants.MinDecayWindowText, CultureInfo.InvariantCulture);
        var maxDecay = TimeSpan.Parse(LoadBalancingConstants.MaxDecayWindowText, CultureInfo.InvariantCulture);
        var decay = options.LoadBalancing.DecayWindow;
        if (decay < minDecay || decay > maxDecay)
        {
            yield return ("LoadBalancing:DecayWindow", $"{Format(decay)} is out of range; use {LoadBalancingConstants.MinDecayWindowText} to {LoadBalancingConstants.MaxDecayWindowText}");
        }

        var timeout = options.Timeout;
        var minTimeout = TimeSpan.Parse(TimeoutConstants.MinTimeoutText, CultureInfo.InvariantCulture);
        var maxTimeout = TimeSpan.Parse(TimeoutConstants.MaxTimeoutText, CultureInfo.InvariantCulture);
        var timeoutsInRange = true;
        if (timeout.PerTry < minTimeout || timeout.PerTry > maxTimeout)
        {
            timeoutsInRange = false;
            yield return ("Timeout:PerTry", $"must be between {TimeoutConstants.MinTimeoutText} and {TimeoutConstants.MaxTimeoutText}");
        }

        if (timeout.Total < minTimeout || timeout.Total > maxTimeout)
        {
            timeoutsInRange = false;
            yield return ("Timeout:Total", $"must be between {TimeoutConstants.MinTimeoutText} and {TimeoutConstants.MaxTimeoutText}");
        }

        if (timeoutsInRange && timeout.PerTry > timeout.Total)
        {
            yield return ("Timeout:PerTry", $"must not exceed Timeout:Total ({Format(timeout.Total)})");
        }
    }

    private static string Format(TimeSpan value)
    {
        var text = value.ToString("c", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) && text.LastIndexOf('.') > text.LastIndexOf(':') ? text.TrimEnd('0') : text;
    }

    private static bool CanParse(string value, ValueKind kind, out string problem)
    {
        var ok = kind switch
        {
            ValueKind.Int => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
            ValueKind.Double => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
            ValueKind.Bool => bool.TryParse(value, out _),
            ValueKind.Duration => TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out _),
            _ => true,
        };

        problem = kind switch
        {
            ValueKind.Int => $"'{value}' is not a whole number",
            ValueKind.Double => $"'{value}' is not a number",
            ValueKind.Bool => $"'{value}' is not true or false",
            ValueKind.Duration => $"'{value}' is not a duration (use a TimeSpan string such as 00:00:00.500)",
            _ => string.Empty,
        };
        return ok;
    }
}
