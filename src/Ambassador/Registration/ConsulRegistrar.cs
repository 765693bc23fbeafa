using System.Net;
using System.Text.Json;
using Ambassador.App;
using Ambassador.Discovery.Consul;
using Ambassador.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ambassador.Registration;

/// <summary>
/// Registers the app beside the sidecar in the local Consul agent and keeps it registered: once the app is healthy
/// (at once when it has no health path) it PUTs the service with its check; after every app probe it reports a TTL
/// check's status and asks the agent whether it still knows the service (an agent restart forgets it: then it registers
/// again). Consul errors never stop the proxy: they are retried with back-off and logged once per change of state. On
/// SIGTERM it deregisters first (an <see cref="IPreStopAction"/>), before the pre-stop delay and the drain.
/// </summary>
internal sealed partial class ConsulRegistrar : BackgroundService, IPreStopAction, IAppRegistrationStatus
{
    private readonly IOptionsMonitor<ConsulRegistrationOptions> _options;
    private readonly IOptionsMonitor<ConsulOptions> _consul;
    private readonly IOptionsMonitor<AppOptions> _app;
    private readonly AppHealthMonitor _monitor;
    private readonly ListenerRegistry _listeners;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ConsulAgentClient _agent;
    private readonly TimeProvider _time;
    private readonly ILogger<ConsulRegistrar> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private ConsulServiceDefinition? _registered;
    private string? _registeredJson;
    private string _state = "starting";
    private string? _serviceId;
    private string? _check;
    private string? _lastError;

    public ConsulRegistrar(
        IOptionsMonitor<ConsulRegistrationOptions> options,
        IOptionsMonitor<ConsulOptions> consul,
        IOptionsMonitor<AppOptions> app,
        AppHealthMonitor monitor,
        ListenerRegistry listeners,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        ILogger<ConsulRegistrar> logger)
    {
        _options = options;
        _consul = consul;
        _app = app;
        _monitor = monitor;
        _listeners = listeners;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
        _agent = new ConsulAgentClient(time);
    }

    public AppRegistrationView? GetView()
    {
        if (!_options.CurrentValue.IsEnabled)
        {
            return null;
        }

        lock (_lock)
        {
            return new AppRegistrationView("consul", _serviceId, _state, _check, _lastError);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stop.Token);
        var ct = linked.Token;
        // The advertised port may be a listener's, known only once the server is bound.
        using (var started = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.ApplicationStarted, ct))
        {
            await Task.Delay(Timeout.Infinite, started.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var backoff = ConsulRegistrationConstants.BackoffBase;
        while (!ct.IsCancellationRequested)
        {
            var probe = _monitor.Current is null ? null : _monitor.WaitForNextProbeAsync(ct);
            TimeSpan? retryIn = null;
            try
            {
                await SyncAsync(ct).ConfigureAwait(false);
                backoff = ConsulRegistrationConstants.BackoffBase;
            }
            catch (ConsulQueryException ex)
            {
                SetState("registry-unavailable", null, ex.Message);
                retryIn = backoff;
                LogRetrying(_logger, backoff);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, ConsulRegistrationConstants.BackoffMax.Ticks));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }

            if (retryIn is { } delay)
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            else if (probe is not null)
            {
                // After every probe: the TTL follows the app, and a forgotten service is noticed within one interval.
                await probe.WaitAsync(_app.CurrentValue.Health.Interval * ConsulRegistrationConstants.TtlIntervals, _time, ct)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            else
            {
                await Task.Delay(_app.CurrentValue.Health.Interval, _time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The deregistration's bound when registration is on; nothing to wait for otherwise.</summary>
    public TimeSpan MaxDuration => _options.CurrentValue.IsEnabled ? ConsulRegistrationConstants.DeregisterTimeout : TimeSpan.Zero;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (ExecuteTask is { } loop)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var registered = _registered;
        if (registered is null)
        {
            return;
        }

        try
        {
            await _agent.DeregisterAsync(_consul.CurrentValue, registered.Id, ConsulRegistrationConstants.DeregisterTimeout, cancellationToken).ConfigureAwait(false);
            _registered = null;
            SetState("deregistered", null, null);
            LogDeregistered(_logger, registered.Name, registered.Id);
        }
        catch (Exception ex) when (ex is ConsulQueryException or OperationCanceledException)
        {
            // The check turns critical without updates and Consul removes the service after DeregisterCriticalServiceAfter.
            LogDeregistrationFailed(_logger, registered.Id, ex.Message);
        }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        var options = _options.CurrentValue;
        var consul = _consul.CurrentValue;
        if (!options.IsEnabled || !consul.IsEnabled())
        {
            return;
        }

        var status = _monitor.Current;
        var serving = status is null || status.IsServing;
        var definition = BuildDefinition(options, _app.CurrentValue, status);
        if (definition is null)
        {
            SetState("waiting-for-app", null, "no address or port to advertise yet");
            return;
        }

        var json = JsonSerializer.Serialize(definition, ConsulRegistrationJsonContext.Default.ConsulServiceDefinition);
        if (_registered is { } previous && json != _registeredJson)
        {
            // The configuration changed: the same id is replaced by registering again, another id leaves no orphan.
            if (previous.Id != definition.Id)
            {
                await _agent.DeregisterAsync(consul, previous.Id, ConsulRegistrationConstants.RequestTimeout, ct).ConfigureAwait(false);
            }

            _registered = null;
        }

        if (_registered is null)
        {
            await RegisterAsync(consul, definition, json, serving, ct).ConfigureAwait(false);
            return;
        }

        if (!await _agent.ExistsAsync(consul, definition.Id, ct).ConfigureAwait(false))
        {
            LogForgotten(_logger, definition.Name, definition.Id);
            _registered = null;
            await RegisterAsync(consul, definition, json, serving, ct).ConfigureAwait(false);
            return;
        }

        if (definition.Check.Ttl is not null)
        {
            var (ttl, check) = TtlOf(status);
            var note = status?.Describe() ?? "app not probed (no Ambassador:App)";
            if (!await _agent.UpdateTtlAsync(consul, definition.Check.CheckId, ttl, note, ct).ConfigureAwait(false))
            {
                LogForgotten(_logger, definition.Name, definition.Id);
                _registered = null;
                await RegisterAsync(consul, definition, json, serving, ct).ConfigureAwait(false);
                return;
            }

            SetCheck(check);
        }

        SetState("registered", null, null);
    }

    private async Task RegisterAsync(ConsulOptions consul, ConsulServiceDefinition definition, string json, bool serving, CancellationToken ct)
    {
        if (!serving)
        {
            SetState("waiting-for-app", definition.Id, null);
            return;
        }

        await _agent.RegisterAsync(consul, definition, ct).ConfigureAwait(false);
        _registered = definition;
        _registeredJson = json;
        SetCheck(definition.Check.Ttl is null ? null : "passing");
        SetState("registered", definition.Id, null);
        LogRegistered(_logger, definition.Name, definition.Id, definition.Address, definition.Port, definition.Check.Ttl ?? definition.Check.Http ?? string.Empty);
    }

    private static (TtlStatus Status, string Check) TtlOf(AppStatus? status) => status switch
    {
        null => (TtlStatus.Pass, "passing"),
        { Health: AppHealth.Unhealthy } => (TtlStatus.Fail, "critical"),
        { Health: AppHealth.Unknown } => (TtlStatus.Warn, "warning"),
        { LastProbe.Outcome: ProbeOutcome.Warning } => (TtlStatus.Warn, "warning"),
        _ => (TtlStatus.Pass, "passing"),
    };

    /// <summary>The service as it should be registered now, or null while there is no port to advertise.</summary>
    internal ConsulServiceDefinition? BuildDefinition(ConsulRegistrationOptions options, AppOptions app, AppStatus? status)
    {
        var tls = _listeners.GetAddress(ListenerNames.ProxyTls);
        Uri? appAddress = status?.Address ?? (app.IsConfigured(out var configured) ? configured : null);
        var advertised = tls ?? appAddress;
        var host = options.Address ?? advertised?.Host.Trim('[', ']') ?? string.Empty;
        var port = options.Port ?? advertised?.Port ?? 0;
        if (port <= 0)
        {
            return null;
        }

        // A wildcard listener has no single address: left empty, Consul advertises the agent's node address.
        if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            host = string.Empty;
        }

        var name = options.ServiceName!;
        var idHost = host.Length == 0 ? Environment.MachineName : host;
        var id = string.IsNullOrWhiteSpace(options.ServiceId) ? $"{name}-{idHost}-{port}" : options.ServiceId;
        var check = options.Check;
        var deregisterAfter = GoDuration.Format(check.DeregisterCriticalServiceAfter);
        ConsulCheckDefinition checkDefinition;
        if (string.Equals(check.Type, ConsulRegistrationConstants.HttpCheck, StringComparison.OrdinalIgnoreCase))
        {
            var scheme = tls is not null && options.Address is null && options.Port is null ? Uri.UriSchemeHttps : appAddress?.Scheme ?? Uri.UriSchemeHttp;
            var checkHost = idHost.Contains(':', StringComparison.Ordinal) ? $"[{idHost}]" : idHost;
            checkDefinition = new ConsulCheckDefinition
            {
                CheckId = "service:" + id,
                Name = "Ambassador app health",
                Http = $"{scheme}://{checkHost}:{port}{app.HealthPath}",
                Interval = GoDuration.Format(check.Interval),
                Timeout = GoDuration.Format(check.Timeout),
                DeregisterCriticalServiceAfter = deregisterAfter,
            };
        }
        else
        {
            checkDefinition = new ConsulCheckDefinition
            {
                CheckId = "service:" + id,
                Name = "Ambassador app health",
                Ttl = GoDuration.Format(app.Health.Interval * ConsulRegistrationConstants.TtlIntervals),
                Status = "passing",
                DeregisterCriticalServiceAfter = deregisterAfter,
            };
        }

        return new ConsulServiceDefinition
        {
            Id = id,
            Name = name,
            Tags = options.Tags,
            Address = host,
            Port = port,
            Meta = new SortedDictionary<string, string>(options.Meta, StringComparer.Ordinal),
            Check = checkDefinition,
        };
    }

    private void SetCheck(string? check)
    {
        lock (_lock)
        {
            _check = check;
        }
    }

    private void SetState(string state, string? serviceId, string? error)
    {
        string before;
        lock (_lock)
        {
            before = _state;
            _state = state;
            _serviceId = serviceId ?? _serviceId;
            _lastError = error ?? (state == "registry-unavailable" ? _lastError : null);
        }

        if (before == state)
        {
            return;
        }

        switch (state)
        {
            case "registry-unavailable":
                LogUnavailable(_logger, error ?? "unknown error");
                break;
            case "waiting-for-app":
                LogWaitingForApp(_logger, _options.CurrentValue.ServiceName ?? string.Empty);
                break;
            case "registered" when before == "registry-unavailable":
                LogRecovered(_logger);
                break;
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _agent.Dispose();
        _stop.Dispose();
    }
}
