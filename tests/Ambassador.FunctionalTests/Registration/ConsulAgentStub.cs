using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using WireMock.Types;
using WireMock.Util;

namespace Ambassador.FunctionalTests.Registration;

/// <summary>A request the agent stub received.</summary>
public sealed record AgentRequest(DateTime At, string Method, string Path, string? Note, string? Token, string? Body);

/// <summary>
/// WireMock.Net speaking the Consul agent endpoints registration uses, as documented:
/// <c>PUT /v1/agent/service/register</c>, <c>PUT /v1/agent/service/deregister/:id</c>,
/// <c>PUT /v1/agent/check/pass|warn|fail/:id</c> (404 for an unknown check) and <c>GET /v1/agent/service/:id</c>
/// (404 for an unknown service). It can be down at first (<see cref="Start"/> later) and can forget everything, as an
/// agent restart does.
/// </summary>
public sealed class ConsulAgentStub : IDisposable
{
    private readonly ConcurrentDictionary<string, JsonObject> _services = new(StringComparer.Ordinal);
    private WireMockServer? _server;

    public ConsulAgentStub(bool start = true)
    {
        Port = Discovery.ConsulStub.FreePort();
        if (start)
        {
            Start();
        }
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<AgentRequest> Requests { get; } = new();

    /// <summary>The registered services by id, as the last register body gave them.</summary>
    public IReadOnlyDictionary<string, JsonObject> Services => _services;

    /// <summary>The TTL status updates received (<c>pass</c>, <c>warn</c>, <c>fail</c>), in order.</summary>
    public IReadOnlyList<AgentRequest> CheckUpdates => Requests.Where(r => r.Path.StartsWith("/v1/agent/check/", StringComparison.Ordinal)).ToList();

    public void Start()
    {
        _server = WireMockServer.Start(new WireMockServerSettings { Urls = [Url], Logger = new WireMock.Logging.WireMockNullLogger() });
        _server.Given(Request.Create().WithPath("/v1/agent/*")).RespondWith(Response.Create().WithCallback(Answer));
    }

    /// <summary>Forgets every service and check (an agent restart without persisted state).</summary>
    public void Forget() => _services.Clear();

    private ResponseMessage Answer(IRequestMessage request)
    {
        var token = request.Headers is { } headers && headers.TryGetValue("X-Consul-Token", out var values) ? values.ToString() : null;
        var note = request.Query is { } query && query.TryGetValue("note", out var n) ? n.ToString() : null;
        Requests.Enqueue(new AgentRequest(DateTime.UtcNow, request.Method, request.Path, note, token, request.Body));
        var path = request.Path;
        if (request.Method == "PUT" && path == "/v1/agent/service/register")
        {
            var body = JsonNode.Parse(request.Body!)!.AsObject();
            _services[body["ID"]!.GetValue<string>()] = body;
            return Status(200, string.Empty);
        }

        if (request.Method == "PUT" && path.StartsWith("/v1/agent/service/deregister/", StringComparison.Ordinal))
        {
            _services.TryRemove(Uri.UnescapeDataString(path["/v1/agent/service/deregister/".Length..]), out _);
            return Status(200, string.Empty);
        }

        if (request.Method == "PUT" && path.StartsWith("/v1/agent/check/", StringComparison.Ordinal))
        {
            var checkId = Uri.UnescapeDataString(path[(path.IndexOf('/', "/v1/agent/check/".Length) + 1)..]);
            return _services.Values.Any(s => s["Check"]?["CheckID"]?.GetValue<string>() == checkId)
                ? Status(200, string.Empty)
                : Status(404, $"Unknown check ID \"{checkId}\"");
        }

        if (request.Method == "GET" && path.StartsWith("/v1/agent/service/", StringComparison.Ordinal))
        {
            var id = Uri.UnescapeDataString(path["/v1/agent/service/".Length..]);
            return _services.TryGetValue(id, out var service)
                ? Status(200, new JsonObject { ["ID"] = id, ["Service"] = service["Name"]!.GetValue<string>(), [nameof(Port)] = service[nameof(Port)]!.GetValue<int>() }.ToJsonString())
                : Status(404, $"unknown service ID: {id}");
        }

        return Status(405, "method not allowed");
    }

    private static ResponseMessage Status(int status, string body) => new()
    {
        StatusCode = status,
        BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
    };

    public void Dispose()
    {
        _server?.Stop();
        _server?.Dispose();
    }
}
