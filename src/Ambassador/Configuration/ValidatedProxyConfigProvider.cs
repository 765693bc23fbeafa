using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Ambassador.Configuration;

/// <summary>
/// Feeds YARP the routes and clusters of the last validated configuration. It re-reads only when
/// <see cref="ConfigGate.Validated"/> changes, so YARP never sees a configuration that failed validation.
/// </summary>
internal sealed class ValidatedProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly ConfigGate _gate;
    private readonly Lock _lock = new();
    private readonly IDisposable _subscription;
    private Snapshot _current;

    public ValidatedProxyConfigProvider(ConfigGate gate)
    {
        _gate = gate;
        _current = Load();
        _subscription = ChangeToken.OnChange(gate.Validated.GetReloadToken, Reload);
    }

    public IProxyConfig GetConfig() => _current;

    public void Dispose() => _subscription.Dispose();

    private void Reload()
    {
        lock (_lock)
        {
            var previous = _current;
            _current = Load();
            previous.Signal();
        }
    }

    private Snapshot Load()
    {
        var (routes, clusters) = ProxyConfigReader.Read(_gate.Validated, new ConfigProblems());
        return new Snapshot(routes, clusters);
    }

#pragma warning disable CA1001 // The token source lives as long as its snapshot; cancelling is its only use.
    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        private readonly CancellationTokenSource _cts = new();

        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken => new CancellationChangeToken(_cts.Token);

        public void Signal() => _cts.Cancel();
    }
#pragma warning restore CA1001
}
