using Ambassador.Policies.Configuration;

namespace Ambassador.Configuration;

/// <summary>Plugs the resilience policy validation (in Ambassador.Policies) into the host's config validation.</summary>
internal sealed class PolicyConfigValidationContributor : IConfigValidationContributor
{
    public void Validate(IConfiguration candidate, ConfigProblems problems)
        => PolicyConfigValidator.Validate(candidate, problems);
}
