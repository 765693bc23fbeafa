using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace InventoryService.Consul;

/// <summary>
/// Registers the instance in the local Consul agent once the server listens (the port may be 0 until then),
/// retrying with back-off while Consul is not up yet, and deregisters it when the host starts stopping,
/// before the server stops, so discovery drops the instance before it goes away.
/// </summary>
internal sealed partial class ConsulRegistrationService(
    IHttpClientFactory httpClientFactory,
    IOptions<ConsulRegistrationOptions> options,
    InstanceIdentity identity,
    TimeProvider timeProvider,
    ILogger<ConsulRegistrationService> logger) : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _registration = Task.CompletedTask;
    private ConsulServiceRegistration? _registered;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _registration = RegisterUntilDoneAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await _registration;
        }
        catch (OperationCanceledException)
        {
            // Stopped while still trying to register.
        }

        if (_registered is { } registered)
        {
            await DeregisterAsync(registered.Id, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _stopping.Dispose();

    private async Task RegisterUntilDoneAsync(CancellationToken cancellationToken)
    {
        var registration = CreateRegistration();
        if (registration is null)
        {
            LogNoListeningAddress(logger);
            return;
        }

        var delay = ConsulRegistrationConstants.FirstRetryDelay;
        while (true)
        {
            try
            {
                using var client = CreateClient();
                using var response = await client.PutAsJsonAsync(
                    "v1/agent/service/register", registration, InventoryJsonContext.Default.ConsulServiceRegistration, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    _registered = registration;
                    LogRegistered(logger, registration.Name, registration.Id, registration.Address, registration.Port);
                    return;
                }

                LogRegistrationFailed(logger, registration.Id, $"HTTP {(int)response.StatusCode}", delay);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogRegistrationFailed(logger, registration.Id, ex.Message, delay);
            }

            await Task.Delay(delay, timeProvider, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, ConsulRegistrationConstants.MaxRetryDelay.Ticks));
        }
    }

    private async Task DeregisterAsync(string serviceId, CancellationToken cancellationToken)
    {
        try
        {
            using var client = CreateClient();
            using var response = await client.PutAsync(
                $"v1/agent/service/deregister/{Uri.EscapeDataString(serviceId)}", content: null, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                LogDeregistered(logger, serviceId);
            }
            else
            {
                LogDeregistrationFailed(logger, serviceId, $"HTTP {(int)response.StatusCode}");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // Consul removes the instance anyway once its check has been critical for DeregisterCriticalServiceAfter.
            LogDeregistrationFailed(logger, serviceId, ex.Message);
        }
    }

    private HttpClient CreateClient()
    {
        var client = httpClientFactory.CreateClient(ConsulRegistrationConstants.HttpClientName);
        client.BaseAddress = options.Value.Address;
        client.Timeout = ConsulRegistrationConstants.RequestTimeout;
        if (options.Value.Token is { Length: > 0 } token)
        {
            client.DefaultRequestHeaders.Add("X-Consul-Token", token);
        }

        return client;
    }

    private ConsulServiceRegistration? CreateRegistration()
    {
        var o = options.Value;
        var listening = identity.ListeningAddress();
        if (listening is null && (o.ServiceAddress is null || o.ServicePort is null))
        {
            return null;
        }

        var address = o.ServiceAddress is { Length: > 0 } configured ? configured : AdvertisedHost(listening!);
        var port = o.ServicePort ?? listening!.Port;
        var scheme = listening?.Scheme ?? Uri.UriSchemeHttp;
        var id = o.ServiceId is { Length: > 0 } configuredId ? configuredId : $"{o.ServiceName}-{address}-{port}";
        var checkHost = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return new ConsulServiceRegistration(
            id,
            o.ServiceName,
            [.. o.Tags],
            address,
            port,
            new ConsulHttpCheck(
                Http: $"{scheme}://{checkHost}:{port.ToString(CultureInfo.InvariantCulture)}/health",
                Interval: ToGoDuration(o.CheckInterval),
                Timeout: "2s",
                DeregisterCriticalServiceAfter: ToGoDuration(o.DeregisterCriticalServiceAfter)));
    }

    private static string AdvertisedHost(Uri listening)
    {
        var host = listening.IdnHost;
        return IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
            ? Dns.GetHostName()
            : host;
    }

    // Consul reads durations in Go syntax ("5s", "1500ms").
    private static string ToGoDuration(TimeSpan value) =>
        ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
}
