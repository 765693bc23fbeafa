using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace OrderService;

/// <summary>
/// Health of the sidecar as seen by the app: its <c>/readyz</c> (config valid, every cluster resolved).
/// The Sidecar pattern asks the app to notice when its helper is gone, so the app is reported unhealthy too.
/// </summary>
internal sealed class SidecarHealthCheck(IHttpClientFactory httpClientFactory, IOptions<AmbassadorClientOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var readyz = new Uri(options.Value.AdminAddress, "/readyz");
        var client = httpClientFactory.CreateClient(AmbassadorClientConstants.AdminClientName);
        try
        {
            using var response = await client.GetAsync(readyz, cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"ambassador ready ({readyz})")
                : HealthCheckResult.Unhealthy($"ambassador not ready: {readyz} answered {(int)response.StatusCode}");
        }
        catch (HttpRequestException ex)
        {
            return HealthCheckResult.Unhealthy($"ambassador unreachable at {readyz}: {ex.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"ambassador did not answer {readyz} within {client.Timeout.TotalSeconds:0.#} s");
        }
    }
}
