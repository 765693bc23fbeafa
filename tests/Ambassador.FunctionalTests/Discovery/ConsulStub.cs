using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace Ambassador.FunctionalTests.Discovery;

/// <summary>One registered instance as the stub reports it.</summary>
public sealed record StubInstance(int Port, string ServiceAddress = "127.0.0.1", string NodeAddress = "127.0.0.9", string Status = "passing");

/// <summary>How the stub answers.</summary>
public enum StubMode
{
    /// <summary>Consul's documented behaviour, including held blocking queries.</summary>
    Normal,

    /// <summary>500 at once.</summary>
    ServerError,

    /// <summary>200 with a body that is not JSON.</summary>
    Malformed,

    /// <summary>200 at once with <c>X-Consul-Index: 0</c> (the Consul bug the index rules guard against).</summary>
    ZeroIndex,

    /// <summary>200 with a valid but 4 KiB answer (an empty array padded with whitespace).</summary>
    Oversized,

    /// <summary>Answers only after 5 s, whatever the <c>wait</c>.</summary>
    Slow,
}

/// <summary>A request the stub received.</summary>
public sealed record StubRequest(DateTime At, string Path, IReadOnlyDictionary<string, string> Query, string? Token);

/// <summary>
/// WireMock.Net speaking Consul's <c>GET /v1/health/service/{name}</c>: <c>passing</c> filters to passing instances,
/// a request whose <c>index</c> is at least the current index is held until the state changes or <c>wait</c> elapses,
/// and every answer carries <c>X-Consul-Index</c>. Services other than the one configured answer <c>[]</c>.
/// </summary>
public sealed class ConsulStub : IDisposable
{
    private readonly WireMockServer _server;
    private readonly Lock _lock = new();
    private readonly string _service;
    private List<StubInstance> _instances = [];
    private long _index = 10;
    private volatile bool _stopped;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConsulStub(string service = "inventory")
    {
        _service = service;
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"] });
        _server
            .Given(Request.Create().WithPath("/v1/health/service/*").UsingGet())
            .RespondWith(Response.Create().WithCallback(AnswerAsync));
    }

    public string Url => _server.Url!;

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    public StubMode Mode { get; set; } = StubMode.Normal;

    /// <summary>When the last change was published (UTC); held queries are answered right after.</summary>
    public DateTime LastChangeAt { get; private set; }

    public long Index
    {
        get
        {
            lock (_lock)
            {
                return _index;
            }
        }
    }

    /// <summary>Replaces the registered instances, bumps the index and releases held queries.</summary>
    public void SetInstances(params StubInstance[] instances) => Publish(() => _instances = [.. instances], bumpIndex: true);

    /// <summary>Sets the index to <paramref name="index"/> (possibly backwards) and releases held queries.</summary>
    public void ForceIndex(long index) => Publish(() => _index = index, bumpIndex: false);

    /// <summary>Releases held queries without changing anything (as after a mode change).</summary>
    public void Wake() => Publish(() => { }, bumpIndex: false);

    /// <summary>
    /// Consul becomes unreachable: held queries lose their connection (empty response) and new connections are refused.
    /// </summary>
    public void Stop()
    {
        _stopped = true;
        Wake();
        _server.Stop();
    }

    private void Publish(Action change, bool bumpIndex)
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            change();
            if (bumpIndex)
            {
                _index++;
            }

            released = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            LastChangeAt = DateTime.UtcNow;
        }

        released.TrySetResult();
    }

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var query = (request.Query ?? new Dictionary<string, WireMockList<string>>())
            .ToDictionary(q => q.Key, q => q.Value.ToString() ?? string.Empty, StringComparer.Ordinal);
        var token = request.Headers is { } headers && headers.TryGetValue("X-Consul-Token", out var values) ? values.ToString() : null;
        Requests.Enqueue(new StubRequest(DateTime.UtcNow, request.Path, query, token));

        switch (Mode)
        {
            case StubMode.ServerError:
                return Answer(500, "rpc error: No cluster leader", Index);
            case StubMode.Malformed:
                return Answer(200, "[{\"Node\": {\"Address\": ", Index + 1);
            case StubMode.Oversized:
                return Answer(200, "[" + new string(' ', 4096) + "]", Index + 1);
            case StubMode.Slow:
                await Task.Delay(TimeSpan.FromSeconds(5));
                return Answer(200, "[]", Index + 1);
            case StubMode.ZeroIndex:
                return Answer(200, Body(passingOnly: query.ContainsKey("passing"), request.Path), 0);
        }

        Task changed;
        lock (_lock)
        {
            changed = _changed.Task;
        }

        if (query.TryGetValue("index", out var sent) && long.TryParse(sent, CultureInfo.InvariantCulture, out var sentIndex) && sentIndex >= Index)
        {
            await Task.WhenAny(changed, Task.Delay(ParseWait(query.GetValueOrDefault("wait"))));
        }

        if (_stopped)
        {
            return new ResponseMessage { FaultType = FaultType.EMPTY_RESPONSE };
        }

        lock (_lock)
        {
            return Mode == StubMode.Normal
                ? Answer(200, Body(query.ContainsKey("passing"), request.Path), _index)
                : Answer(500, "mode changed while held", _index);
        }
    }

    private string Body(bool passingOnly, string path)
    {
        var array = new JsonArray();
        if (!path.EndsWith("/" + _service, StringComparison.Ordinal))
        {
            return array.ToJsonString();
        }

        List<StubInstance> instances;
        lock (_lock)
        {
            instances = _instances;
        }

        foreach (var instance in instances.Where(i => !passingOnly || i.Status == "passing"))
        {
            array.Add(new JsonObject
            {
                ["Node"] = new JsonObject { ["ID"] = "node-id", ["Node"] = "node1", ["Address"] = instance.NodeAddress, ["Datacenter"] = "dc1" },
                ["Service"] = new JsonObject
                {
                    ["ID"] = $"{_service}-{instance.Port}",
                    ["Service"] = _service,
                    ["Tags"] = new JsonArray("primary"),
                    ["Address"] = instance.ServiceAddress,
                    ["Port"] = instance.Port,
                },
                ["Checks"] = new JsonArray(
                    new JsonObject { ["CheckID"] = "serfHealth", ["Status"] = "passing", ["ServiceID"] = "" },
                    new JsonObject { ["CheckID"] = $"service:{_service}-{instance.Port}", ["Status"] = instance.Status, ["ServiceID"] = $"{_service}-{instance.Port}" }),
            });
        }

        return array.ToJsonString();
    }

    private static ResponseMessage Answer(int status, string body, long index) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>>
        {
            ["Content-Type"] = new("application/json"),
            ["X-Consul-Index"] = new(index.ToString(CultureInfo.InvariantCulture)),
        },
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
    };

    private static TimeSpan ParseWait(string? wait)
    {
        if (wait is null)
        {
            return TimeSpan.FromMinutes(5);
        }

        if (wait.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(long.Parse(wait[..^2], CultureInfo.InvariantCulture));
        }

        return wait.EndsWith('s') ? TimeSpan.FromSeconds(long.Parse(wait[..^1], CultureInfo.InvariantCulture)) : TimeSpan.FromMinutes(5);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Wake();
        _server.Stop();
        _server.Dispose();
    }
}
