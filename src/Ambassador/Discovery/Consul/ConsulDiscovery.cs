using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Ambassador.Discovery.Consul;

/// <summary>
/// Owns one <see cref="ConsulServiceWatcher"/> per service name, created on first use and kept for the life of the
/// process; restarts them (seeded with their last known good sets) when the Consul options change on reload; records
/// the discovery metrics.
/// </summary>
internal sealed partial class ConsulDiscovery : IConsulWatchObserver, IAsyncDisposable
{
    private readonly IConsulHealthClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly ClusterServiceMap _clusters;
    private readonly Lock _lock = new();
    private readonly IDisposable? _optionsSubscription;
    private readonly IDisposable _configSubscription;
    private readonly Counter<long> _refreshes;
    private readonly Counter<long> _errors;
    private ConcurrentDictionary<string, ConsulServiceWatcher> _watchers = new(StringComparer.OrdinalIgnoreCase);
    private CancellationTokenSource _optionsChange = new();
    private ConsulOptions _options;
    private bool _disposed;

    public ConsulDiscovery(
        IOptionsMonitor<ConsulOptions> options,
        IConsulHealthClient client,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        ClusterServiceMap clusters,
        IMeterFactory meterFactory)
    {
        _client = client;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ConsulDiscovery>();
        _clusters = clusters;
        _options = options.CurrentValue;
        _optionsSubscription = options.OnChange(OnOptionsChanged);
        _configSubscription = ChangeToken.OnChange(_clusters.GetChangeToken, StopUnusedWatchers);

        var meter = meterFactory.Create(AmbassadorTelemetry.MeterName);
        _refreshes = meter.CreateCounter<long>(
            "ambassador.discovery.refreshes", "{refresh}", "Successful Consul answers, per cluster.");
        _errors = meter.CreateCounter<long>(
            "ambassador.discovery.errors", "{error}", "Failed Consul queries (unreachable, bad status, malformed, slow, too large), per cluster.");
        meter.CreateObservableGauge(
            "ambassador.discovery.destinations", ObserveDestinations, "{destination}", "Destinations currently discovered, per cluster.");
    }

    /// <summary>Whether Consul discovery is on (a valid <see cref="ConsulOptions.Address"/> is configured).</summary>
    public bool Enabled => Volatile.Read(ref _options).IsEnabled();

    /// <summary>Fires when the Consul options change, so YARP resolves every cluster again.</summary>
    public IChangeToken GetOptionsChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_optionsChange.Token);
        }
    }

    /// <summary>The watcher of <paramref name="service"/>, started on first use.</summary>
    public ConsulServiceWatcher GetWatcher(string service)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var watchers = Volatile.Read(ref _watchers);
        if (!watchers.TryGetValue(service, out var watcher))
        {
            lock (_lock)
            {
                watchers = _watchers;
                if (!watchers.TryGetValue(service, out watcher))
                {
                    watcher = CreateWatcher(service, _options, seed: null);
                    watchers[service] = watcher;
                    watcher.Start();
                }
            }
        }

        return watcher;
    }

    /// <summary>The watcher of <paramref name="service"/> if one exists; never starts one.</summary>
    public ConsulServiceWatcher? FindWatcher(string service) =>
        Volatile.Read(ref _watchers).TryGetValue(service, out var watcher) ? watcher : null;

    private ConsulServiceWatcher CreateWatcher(string service, ConsulOptions options, ConsulServiceSnapshot? seed) =>
        new(service, options, _client, _timeProvider, _loggerFactory.CreateLogger<ConsulServiceWatcher>(), this, random: null, seed);

    private void OnOptionsChanged(ConsulOptions options, string? name)
    {
        if (name is not null && name.Length > 0)
        {
            return;
        }

        ConcurrentDictionary<string, ConsulServiceWatcher> old;
        CancellationTokenSource fired;
        lock (_lock)
        {
            if (_disposed || Same(_options, options))
            {
                return;
            }

            _options = options;
            old = _watchers;
            if (!old.IsEmpty)
            {
                Log.OptionsChanged(_logger);
            }

            var fresh = new ConcurrentDictionary<string, ConsulServiceWatcher>(StringComparer.OrdinalIgnoreCase);
            if (Enabled)
            {
                // Keep serving what we knew while the new query settles; a reload must not empty a cluster.
                foreach (var (service, watcher) in old)
                {
                    var replacement = CreateWatcher(service, options, watcher.Snapshot with { Index = 0 });
                    fresh[service] = replacement;
                    replacement.Start();
                }
            }

            _watchers = fresh;
            fired = _optionsChange;
            _optionsChange = new CancellationTokenSource();
        }

        fired.Cancel();
        fired.Dispose();
        _ = DisposeAllAsync(old.Values);
    }

    /// <summary>After a configuration change, stops the watches of services no cluster names any more.</summary>
    private void StopUnusedWatchers()
    {
        var inUse = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, services) in _clusters.DiscoveredClusters())
        {
            inUse.UnionWith(services);
        }

        List<ConsulServiceWatcher>? unused = null;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var (service, watcher) in _watchers)
            {
                if (!inUse.Contains(service) && _watchers.TryRemove(service, out _))
                {
                    (unused ??= []).Add(watcher);
                }
            }
        }

        if (unused is not null)
        {
            Log.WatchesStopped(_logger, string.Join(", ", unused.Select(w => w.ServiceName)));
            _ = DisposeAllAsync(unused);
        }
    }

    private static async Task DisposeAllAsync(IEnumerable<ConsulServiceWatcher> watchers)
    {
        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }

    private static bool Same(ConsulOptions a, ConsulOptions b) =>
        string.Equals(a.Address, b.Address, StringComparison.Ordinal)
        && string.Equals(a.Token, b.Token, StringComparison.Ordinal)
        && string.Equals(a.Datacenter, b.Datacenter, StringComparison.Ordinal)
        && string.Equals(a.Filter, b.Filter, StringComparison.Ordinal)
        && a.WaitTime == b.WaitTime
        && a.OnlyPassing == b.OnlyPassing
        && a.MaxResponseBytes == b.MaxResponseBytes;

    /// <inheritdoc />
    void IConsulWatchObserver.OnRefresh(string service)
    {
        foreach (var cluster in _clusters.ClustersOf(service))
        {
            _refreshes.Add(1, new KeyValuePair<string, object?>("cluster", cluster));
        }
    }

    /// <inheritdoc />
    void IConsulWatchObserver.OnError(string service)
    {
        foreach (var cluster in _clusters.ClustersOf(service))
        {
            _errors.Add(1, new KeyValuePair<string, object?>("cluster", cluster));
        }
    }

    private IEnumerable<Measurement<long>> ObserveDestinations()
    {
        foreach (var (cluster, services) in _clusters.DiscoveredClusters())
        {
            long count = 0;
            foreach (var service in services)
            {
                count += FindWatcher(service)?.Snapshot.Endpoints.Count ?? 0;
            }

            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("cluster", cluster));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        ConcurrentDictionary<string, ConsulServiceWatcher> watchers;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            watchers = _watchers;
        }

        _optionsSubscription?.Dispose();
        _configSubscription.Dispose();
        await DisposeAllAsync(watchers.Values);
        _optionsChange.Dispose();
    }
}
