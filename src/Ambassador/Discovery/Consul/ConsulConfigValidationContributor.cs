using Ambassador.Configuration;

namespace Ambassador.Discovery.Consul;

/// <summary>Validates <c>Ambassador:Discovery:Consul</c> at start, on reload and in <c>Ambassador validate</c>.</summary>
internal sealed class ConsulConfigValidationContributor : IConfigValidationContributor
{
    /// <inheritdoc />
    public void Validate(IConfiguration candidate, ConfigProblems problems) =>
        ConsulOptionsValidation.Validate(candidate, problems.Add);
}
