using Ambassador.Policies.CircuitBreaker;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Ambassador.Policies.Proxy;

/// <summary>
/// Where a request's attempts go: among the destinations YARP considers healthy, those whose breaker admits traffic;
/// untried ones first, never the previous one while another exists, then session affinity (first attempt only) and
/// the cluster's load-balancing policy. Part of the pooled <see cref="RequestState"/>; what only a retry needs
/// (<see cref="RetryLedger"/>) is made when the first retry is decided.
/// </summary>
internal sealed class AttemptDestinations(DestinationBreakerRegistry breakers, DestinationPicker picker)
{
    private IReadOnlyList<DestinationState> _available = [];
    private string _clusterId = string.Empty;
    private DestinationState? _first;
    private RetryLedger? _ledger;
    private HashSet<object>? _itemsBeforeAffinity;

    /// <summary>Binds to a request's healthy destinations.</summary>
    public void Start(string clusterId, IReadOnlyList<DestinationState> available)
    {
        _clusterId = clusterId;
        _available = available;
    }

    public void Reset()
    {
        _available = [];
        _clusterId = string.Empty;
        _first = null;
        _ledger = null;
        _itemsBeforeAffinity = null;
    }

    /// <summary>The attempt's destination; null when every breaker is open.</summary>
    public DestinationState? Pick(HttpContext context, ClusterState cluster, int attempt)
    {
        var all = _available;
        var admitted = 0;
        for (var i = 0; i < all.Count; i++)
        {
            if (Admits(all[i]))
            {
                admitted++;
            }
        }

        if (admitted == 0)
        {
            return null;
        }

        IReadOnlyList<DestinationState> pool;
        if (admitted == all.Count && _ledger is null)
        {
            pool = all;
        }
        else
        {
            pool = Filter(all, untriedOnly: true, skip: null);
            if (pool.Count == 0)
            {
                pool = Filter(all, untriedOnly: false, skip: _ledger?.Last);
            }

            if (pool.Count == 0)
            {
                pool = Filter(all, untriedOnly: false, skip: null);
            }
        }

        if (pool.Count == 1)
        {
            return pool[0];
        }

        // The first attempt honors the request's session affinity when its destination is admitted; a retry goes
        // elsewhere by design (another instance first), and affinity then follows the cluster's FailurePolicy.
        if (attempt == 1 && cluster.Model.Config.SessionAffinity?.Enabled == true)
        {
            // Session affinity keeps per-request state in HttpContext.Items (the key it found, so that the response
            // is not re-affinitized); what an attempt added there is dropped before a retry (BeginRetry).
            _itemsBeforeAffinity ??= [.. context.Items.Keys];
            if (picker.FindAffinitized(context, cluster, pool) is { } affine)
            {
                return affine;
            }
        }

        return picker.PickDestination(context, cluster, pool);
    }

    /// <summary>An attempt went to <paramref name="destination"/>.</summary>
    public void Tried(DestinationState destination)
    {
        if (_ledger is null)
        {
            _first = destination;
        }
        else
        {
            _ledger.Tried(destination);
        }
    }

    /// <summary>The destination's breaker refused the attempt (a lost half-open race): this request skips it.</summary>
    public void Rejected(DestinationState destination) => (_ledger ??= new RetryLedger(_first)).Rejected.Add(destination);

    /// <summary>A retry starts: what the last attempt's session affinity left in HttpContext.Items is dropped.</summary>
    public void BeginRetry(HttpContext context)
    {
        _ledger ??= new RetryLedger(_first);
        if (_itemsBeforeAffinity is not null)
        {
            // The retry goes to another destination: its response must carry that destination's affinity key.
            foreach (var key in context.Items.Keys.Where(k => !_itemsBeforeAffinity.Contains(k)).ToList())
            {
                context.Items.Remove(key);
            }
        }
    }

    /// <summary>Whether any destination's breaker admits traffic (a retry could be forwarded at all).</summary>
    public bool AnyAdmitted()
    {
        for (var i = 0; i < _available.Count; i++)
        {
            if (Admits(_available[i]))
            {
                return true;
            }
        }

        return false;
    }

    private List<DestinationState> Filter(IReadOnlyList<DestinationState> all, bool untriedOnly, DestinationState? skip)
    {
        var result = new List<DestinationState>(all.Count);
        for (var i = 0; i < all.Count; i++)
        {
            var destination = all[i];
            if (ReferenceEquals(destination, skip) || (untriedOnly && _ledger is not null && _ledger.WasTried(destination)) || !Admits(destination))
            {
                continue;
            }

            result.Add(destination);
        }

        return result;
    }

    private bool Admits(DestinationState destination)
    {
        if (_ledger is not null && _ledger.Rejected.Contains(destination))
        {
            return false;
        }

        var breaker = breakers.Find(_clusterId, destination.DestinationId);
        return breaker is null || breaker.Admits();
    }
}

/// <summary>What only a retried request needs to remember: the destinations it tried, in order, and those whose
/// breaker refused it within an attempt. Made when the first retry is decided (or a half-open race is lost).</summary>
internal sealed class RetryLedger
{
    private readonly List<DestinationState> _tried = new(4);

    public RetryLedger(DestinationState? first)
    {
        if (first is not null)
        {
            _tried.Add(first);
        }
    }

    /// <summary>Destinations whose breaker rejected the attempt (lost half-open races); skipped by this request.</summary>
    public List<DestinationState> Rejected { get; } = [];

    /// <summary>The destination of the last attempt.</summary>
    public DestinationState? Last => _tried.Count == 0 ? null : _tried[^1];

    public void Tried(DestinationState destination) => _tried.Add(destination);

    public bool WasTried(DestinationState destination) => _tried.Contains(destination);
}
