using Ambassador.Admin;
using Microsoft.Extensions.Options;

namespace Ambassador.App;

/// <summary>With <see cref="AppOptions.ReadinessGate"/> on, <c>/readyz</c> is unready while the app is not healthy.</summary>
internal sealed class AppReadiness(AppHealthMonitor monitor, IOptionsMonitor<AppOptions> options) : IReadinessContributor
{
    public void AddUnreadyReasons(ICollection<string> reasons)
    {
        if (!options.CurrentValue.ReadinessGate || monitor.Current is not { } status || status.IsServing)
        {
            return;
        }

        reasons.Add($"app is {status.Health.ToString().ToLowerInvariant()} (Ambassador:App:ReadinessGate is on): {status.Describe()}");
    }
}
