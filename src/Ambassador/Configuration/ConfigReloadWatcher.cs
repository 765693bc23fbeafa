using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Primitives;

namespace Ambassador.Configuration;

/// <summary>
/// Re-validates the configuration whenever a source reloads (a file edit). A valid edit is applied without
/// restarting; an invalid one is logged with the same messages as at start, counted, and ignored.
/// </summary>
internal sealed partial class ConfigReloadWatcher : IHostedService, IDisposable
{
    private readonly ConfigGate _gate;
    private readonly ConfigValidator _validator;
    private readonly ILogger<ConfigReloadWatcher> _logger;
    private readonly Counter<long> _reloads;
    private readonly Lock _lock = new();
    private IDisposable? _subscription;

    public ConfigReloadWatcher(ConfigGate gate, ConfigValidator validator, ILogger<ConfigReloadWatcher> logger, IMeterFactory meterFactory)
    {
        _gate = gate;
        _validator = validator;
        _logger = logger;
        _reloads = meterFactory.Create(AmbassadorTelemetry.MeterName).CreateCounter<long>(
            "ambassador.config.reloads", unit: "{reload}", description: "Configuration reloads, by result (applied or rejected).");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = ChangeToken.OnChange(_gate.Live.GetReloadToken, OnLiveChanged);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _subscription?.Dispose();

    private void OnLiveChanged()
    {
        // File watchers fire several events per save; one validation at a time keeps the order.
        lock (_lock)
        {
            ConfigProblems problems;
            try
            {
                problems = _gate.TryApply(_validator);
            }
            catch (Exception ex)
            {
                // A reload must never take the proxy down.
                LogReloadFailed(_logger, ex);
                _reloads.Add(1, new KeyValuePair<string, object?>("result", "rejected"));
                return;
            }

            if (problems.IsValid)
            {
                LogReloadApplied(_logger);
                _reloads.Add(1, new KeyValuePair<string, object?>("result", "applied"));
            }
            else
            {
                LogReloadRejected(_logger, problems.Lines.Count, problems.ToString());
                _reloads.Add(1, new KeyValuePair<string, object?>("result", "rejected"));
            }
        }
    }

    [LoggerMessage(EventId = 100, EventName = "ConfigReloadApplied", Level = LogLevel.Information, Message = "Configuration reloaded and applied.")]
    private static partial void LogReloadApplied(ILogger logger);

    [LoggerMessage(EventId = 101, EventName = "ConfigReloadRejected", Level = LogLevel.Error,
        Message = "Configuration reload rejected ({Count} problems); the last good configuration keeps serving:\n{Problems}")]
    private static partial void LogReloadRejected(ILogger logger, int count, string problems);

    [LoggerMessage(EventId = 102, EventName = "ConfigReloadFailed", Level = LogLevel.Error, Message = "Configuration reload failed; the last good configuration keeps serving.")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
