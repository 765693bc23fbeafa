using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ambassador.App;

/// <summary>
/// Probes the app beside the sidecar every <see cref="AppHealthOptions.Interval"/> (through the injected
/// <see cref="TimeProvider"/>), decides its health with hysteresis and publishes a snapshot after every probe, which
/// <c>/admin/app</c>, <c>/readyz</c>, the <c>ambassador.app.healthy</c> gauge and Consul registration read. With no
/// <c>Ambassador:App:Address</c> it does nothing; options are re-read before every probe, so a reload applies at the
/// next one.
/// </summary>
internal sealed partial class AppHealthMonitor : BackgroundService
{
    private readonly IOptionsMonitor<AppOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AppHealthMonitor> _logger;
    private readonly HttpClient _client;
    private readonly Counter<long> _probes;
    private readonly Lock _lock = new();
    private AppStatus? _current;
    private TaskCompletionSource _probed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _optionsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AppHealthMonitor(IOptionsMonitor<AppOptions> options, TimeProvider time, ILogger<AppHealthMonitor> logger, IMeterFactory meterFactory)
    {
        _options = options;
        _time = time;
        _logger = logger;
        // Its own handler: no proxy, no redirects (a redirect is the app's answer, not a reason to go elsewhere).
        _client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        }) { Timeout = Timeout.InfiniteTimeSpan };
        options.OnChange(_ => Interlocked.Exchange(ref _optionsChanged, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult());

        var meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        meter.CreateObservableGauge(AppConstants.HealthyGaugeName, ObserveHealthy, unit: "{bool}",
            description: "1 while the app beside the sidecar is healthy, 0 while it is unhealthy or not yet known.");
        _probes = meter.CreateCounter<long>(AppConstants.ProbesCounterName, unit: "{probe}",
            description: "Probes of the app's health path, by result (passing, warning, failing).");
    }

    /// <summary>The latest snapshot, or null when no app is configured.</summary>
    public AppStatus? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>Completes after the next probe (or, without a health path, the next interval tick).</summary>
    public Task WaitForNextProbeAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return _probed.Task.WaitAsync(cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var state = new AppHealthState();
        Uri? probed = null;
        var since = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var options = _options.CurrentValue;
            if (!options.IsConfigured(out var address))
            {
                Publish(null);
                var changed = Volatile.Read(ref _optionsChanged).Task;
                await changed.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            var probeUri = options.ProbeUri(address);
            if (probeUri != probed)
            {
                // A different target starts from scratch: its history says nothing about the new one.
                state = new AppHealthState();
                probed = probeUri;
                since = _time.GetUtcNow();
                if (probeUri is not null)
                {
                    Publish(new AppStatus(address, probeUri, AppHealth.Unknown, since, 0, 0, null), probed: false);
                }
            }

            var started = _time.GetTimestamp();
            if (probeUri is null)
            {
                Publish(new AppStatus(address, null, AppHealth.Healthy, since, 0, 0, null));
            }
            else
            {
                var result = await ProbeAsync(probeUri, options.Health.Timeout, stoppingToken).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                _probes.Add(1, new KeyValuePair<string, object?>("result", result.Outcome.ToString().ToLowerInvariant()));
                var before = state.Health;
                if (state.Record(result.Outcome, options.Health.HealthyThreshold, options.Health.UnhealthyThreshold))
                {
                    since = result.At;
                    LogHealthChanged(probeUri, before, state.Health, result.Detail);
                }

                Publish(new AppStatus(address, probeUri, state.Health, since, state.ConsecutiveSuccesses, state.ConsecutiveFailures, result));
            }

            var wait = options.Health.Interval - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<AppProbeResult> ProbeAsync(Uri uri, TimeSpan timeout, CancellationToken stoppingToken)
    {
        var at = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeoutCts.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.UserAgent.ParseAdd("Ambassador-AppProbe");
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var outcome = code is >= 200 and < 300 ? ProbeOutcome.Passing
                : code == (int)HttpStatusCode.TooManyRequests ? ProbeOutcome.Warning
                : ProbeOutcome.Failing;
            return new AppProbeResult(at, outcome, code, _time.GetElapsedTime(started), string.Create(CultureInfo.InvariantCulture, $"HTTP {code}"));
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return new AppProbeResult(at, ProbeOutcome.Failing, null, _time.GetElapsedTime(started),
                string.Create(CultureInfo.InvariantCulture, $"no answer within {timeout.TotalSeconds:0.###} s"));
        }
        catch (OperationCanceledException)
        {
            return new AppProbeResult(at, ProbeOutcome.Failing, null, _time.GetElapsedTime(started), "stopping");
        }
        catch (HttpRequestException ex)
        {
            var detail = ex.InnerException is SocketException socket ? socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.ConnectionReset => "connection reset",
                _ => socket.Message,
            } : ex.Message;
            return new AppProbeResult(at, ProbeOutcome.Failing, null, _time.GetElapsedTime(started), detail);
        }
    }

    private void Publish(AppStatus? status, bool probed = true)
    {
        TaskCompletionSource? waiting = null;
        lock (_lock)
        {
            _current = status;
            if (probed)
            {
                waiting = _probed;
                _probed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        waiting?.TrySetResult();
    }

    private IEnumerable<Measurement<int>> ObserveHealthy()
    {
        var current = Current;
        return current is null ? [] : [new Measurement<int>(current.Health == AppHealth.Healthy ? 1 : 0)];
    }

    public override void Dispose()
    {
        base.Dispose();
        _client.Dispose();
    }
}
