using Microsoft.Extensions.Primitives;

namespace Ambassador.Discovery.Consul;

/// <summary>What a watcher knows about its service at one moment. Immutable; replaced as a whole.</summary>
/// <param name="Endpoints">The last known good instances (empty until the first answer).</param>
/// <param name="Resolved">Whether Consul has answered successfully at least once.</param>
/// <param name="Index">The index of the last good answer (0 before the first).</param>
/// <param name="LastSuccess">When the last good answer arrived.</param>
/// <param name="LastError">The last failure while it lasts; null once a query succeeds again.</param>
internal sealed record ConsulServiceSnapshot(
    IReadOnlyList<ConsulEndpoint> Endpoints,
    bool Resolved,
    long Index,
    DateTimeOffset? LastSuccess,
    string? LastError)
{
    /// <summary>Nothing known yet.</summary>
    public static ConsulServiceSnapshot Empty { get; } = new([], false, 0, null, null);
}

/// <summary>Told about every query outcome (metrics).</summary>
internal interface IConsulWatchObserver
{
    /// <summary>A query succeeded (whether or not the set changed).</summary>
    void OnRefresh(string service);

    /// <summary>A query failed.</summary>
    void OnError(string service);
}

/// <summary>
/// Watches one Consul service with blocking queries, one query at a time. Keeps the last known good set on every
/// failure, backs off with jitter, and fires <see cref="GetChangeToken"/> as soon as an answer changes the set — that
/// is the push into YARP (no polling period).
/// </summary>
internal sealed partial class ConsulServiceWatcher : IAsyncDisposable
{
    private readonly ConsulOptions _options;
    private readonly IConsulHealthClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IConsulWatchObserver? _observer;
    private readonly Func<double> _random;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _tokenLock = new();
    private CancellationTokenSource _changeSource = new();
    private ConsulServiceSnapshot _snapshot;
    private Task _loop = Task.CompletedTask;
    private ConsulErrorKind? _loggedFailure;
    private int _started;

    public ConsulServiceWatcher(
        string serviceName,
        ConsulOptions options,
        IConsulHealthClient client,
        TimeProvider timeProvider,
        ILogger logger,
        IConsulWatchObserver? observer = null,
        Func<double>? random = null,
        ConsulServiceSnapshot? seed = null)
    {
        ServiceName = serviceName;
        _options = options;
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
        _observer = observer;
        _random = random ?? Random.Shared.NextDouble;
        _snapshot = seed ?? ConsulServiceSnapshot.Empty;
    }

    /// <summary>The Consul service name.</summary>
    public string ServiceName { get; }

    /// <summary>The current state; read it after taking <see cref="GetChangeToken"/> to never miss a change.</summary>
    public ConsulServiceSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Fires once when the set of endpoints (or the resolved flag) changes after this call.</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_tokenLock)
        {
            return new CancellationChangeToken(_changeSource.Token);
        }
    }

    /// <summary>Starts the watch loop (idempotent).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var index = 0L;
        var failures = 0;
        var progress = true;
        DateTimeOffset? previousStart = null;
        Log.WatchStarted(_logger, ServiceName);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var delay = failures > 0
                    ? ConsulIndexRules.Backoff(failures, _random())
                    : previousStart is { } start
                        ? ConsulIndexRules.RateLimitDelay(start, _timeProvider.GetUtcNow(), progress)
                        : TimeSpan.Zero;
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, _timeProvider, stopping);
                }

                previousStart = _timeProvider.GetUtcNow();
                var result = await _client.QueryAsync(_options, ServiceName, index, stopping);
                var next = ConsulIndexRules.NextIndex(index, result.Index);
                progress = ConsulIndexRules.IsProgress(index, result.Index);
                if (next == 0 && index != 0)
                {
                    Log.IndexReset(_logger, ServiceName, index, result.Index);
                }

                index = next;
                failures = 0;
                Apply(result);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (ConsulQueryException ex)
            {
                failures++;
                OnFailure(ex.Kind, ex.Message);
            }
#pragma warning disable CA1031 // The loop must survive anything; a bug here must not stop discovery for good.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                Log.UnexpectedError(_logger, ServiceName, ex);
                OnFailure(ConsulErrorKind.Malformed, "unexpected error: " + ex.GetType().Name);
            }
        }
    }

    private void Apply(ConsulQueryResult result)
    {
        var endpoints = ConsulEndpoint.FromEntries(result.Entries, _options.OnlyPassing);
        var previous = Snapshot;
        var changed = !previous.Resolved || !previous.Endpoints.SequenceEqual(endpoints);
        var current = new ConsulServiceSnapshot(
            changed ? endpoints : previous.Endpoints,
            Resolved: true,
            Index: result.Index,
            LastSuccess: _timeProvider.GetUtcNow(),
            LastError: null);
        Volatile.Write(ref _snapshot, current);
        _observer?.OnRefresh(ServiceName);

        if (_loggedFailure is not null)
        {
            _loggedFailure = null;
            Log.QueryRecovered(_logger, ServiceName, endpoints.Count);
        }

        if (changed)
        {
            Log.DestinationsChanged(_logger, ServiceName, endpoints.Count, result.Index);
            FireChange();
        }
    }

    private void OnFailure(ConsulErrorKind kind, string message)
    {
        var previous = Snapshot;
        Volatile.Write(ref _snapshot, previous with { LastError = message });
        _observer?.OnError(ServiceName);
        if (_loggedFailure is null)
        {
            Log.QueryFailing(_logger, ServiceName, kind, message, previous.Endpoints.Count);
        }
        else if (_loggedFailure != kind)
        {
            // Still failing, for another reason: worth a trace, not another warning.
            Log.FailureChanged(_logger, ServiceName, kind, message);
        }

        _loggedFailure = kind;
    }

    private void FireChange()
    {
        CancellationTokenSource fired;
        lock (_tokenLock)
        {
            fired = _changeSource;
            _changeSource = new CancellationTokenSource();
        }

        try
        {
            fired.Cancel();
        }
#pragma warning disable CA1031 // A subscriber's exception must not stop the watch loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.UnexpectedError(_logger, ServiceName, ex);
        }
        finally
        {
            fired.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        lock (_tokenLock)
        {
            _changeSource.Dispose();
        }
    }
}
