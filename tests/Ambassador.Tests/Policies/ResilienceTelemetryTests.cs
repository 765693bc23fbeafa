using System.Diagnostics.Metrics;
using Ambassador.Policies.CircuitBreaker;
using Ambassador.Policies.Telemetry;
using Ambassador.Tests.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Ambassador.Tests.Policies;

public sealed class ResilienceTelemetryTests
{
    [Fact]
    public void TimedOut_ManyRequestsOfOneCluster_OneWarningPerIntervalWithTheCount()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger<ResilienceTelemetry>();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new ResilienceTelemetry(
            services.GetRequiredService<IMeterFactory>(),
            new DestinationBreakerRegistry(time, NullLogger<DestinationBreakerRegistry>.Instance),
            time,
            logger);

        for (var i = 0; i < 50; i++)
        {
            telemetry.TimedOut("inventory", 3);
        }

        telemetry.TimedOut("billing", 1);
        time.Advance(TimeSpan.FromSeconds(10));
        telemetry.TimedOut("inventory", 2);

        Assert.Equal(
            [
                (LogLevel.Warning, "Cluster 'inventory': timed out after 3 attempt(s); 0 more requests timed out in the previous interval."),
                (LogLevel.Warning, "Cluster 'billing': timed out after 1 attempt(s); 0 more requests timed out in the previous interval."),
                (LogLevel.Warning, "Cluster 'inventory': timed out after 2 attempt(s); 49 more requests timed out in the previous interval."),
            ],
            logger.Entries);
    }
}
