using System.Globalization;
using System.Net;
using System.Text.Json;
using Ambassador.Discovery.Consul;

namespace Ambassador.Registration;

/// <summary>The TTL check states Consul accepts (<c>PUT /v1/agent/check/pass|warn|fail/:id</c>).</summary>
internal enum TtlStatus
{
    Pass,
    Warn,
    Fail,
}

/// <summary>
/// The few Consul agent endpoints registration needs. Shares discovery's handler settings and token handling
/// (<see cref="ConsulClient.CreateHandler"/>, <see cref="ConsulClient.AddToken"/>): the token travels only in the
/// <c>X-Consul-Token</c> header, and every failure is a <see cref="ConsulQueryException"/> whose message never holds it.
/// </summary>
internal sealed class ConsulAgentClient : IDisposable
{
    private readonly HttpClient _http = new(ConsulClient.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly TimeProvider _time;

    public ConsulAgentClient(TimeProvider time) => _time = time;

    /// <summary><c>PUT /v1/agent/service/register</c> (an upsert: registering the same id again replaces it).</summary>
    public async Task RegisterAsync(ConsulOptions consul, ConsulServiceDefinition service, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(service, ConsulRegistrationJsonContext.Default.ConsulServiceDefinition);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await SendAsync(HttpMethod.Put, consul, "v1/agent/service/register", content, ConsulRegistrationConstants.RequestTimeout, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
    }

    /// <summary><c>GET /v1/agent/service/:id</c>: false when the agent answers 404 (it forgot the service).</summary>
    public async Task<bool> ExistsAsync(ConsulOptions consul, string serviceId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, consul, "v1/agent/service/" + Uri.EscapeDataString(serviceId), null, ConsulRegistrationConstants.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response);
        return true;
    }

    /// <summary><c>PUT /v1/agent/check/pass|warn|fail/:checkId?note=…</c>: false when the agent does not know the check.</summary>
    public async Task<bool> UpdateTtlAsync(ConsulOptions consul, string checkId, TtlStatus status, string note, CancellationToken cancellationToken)
    {
        var verb = status switch { TtlStatus.Pass => "pass", TtlStatus.Warn => "warn", _ => "fail" };
        var path = $"v1/agent/check/{verb}/{Uri.EscapeDataString(checkId)}?note={Uri.EscapeDataString(note)}";
        using var response = await SendAsync(HttpMethod.Put, consul, path, null, ConsulRegistrationConstants.RequestTimeout, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response);
        return true;
    }

    /// <summary><c>PUT /v1/agent/service/deregister/:id</c>.</summary>
    public async Task DeregisterAsync(ConsulOptions consul, string serviceId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, consul, "v1/agent/service/deregister/" + Uri.EscapeDataString(serviceId), null, timeout, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, ConsulOptions consul, string path, HttpContent? content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(consul.Address!.TrimEnd('/') + "/" + path, UriKind.Absolute)) { Content = content };
        ConsulClient.AddToken(request, consul);
        using var timeoutCts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        try
        {
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            return response;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConsulQueryException(ConsulErrorKind.Timeout,
                string.Create(CultureInfo.InvariantCulture, $"Consul agent did not answer within {timeout.TotalSeconds:0.###} s"), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul agent is unreachable: " + ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new ConsulQueryException(ConsulErrorKind.Unreachable, "Consul agent connection failed: " + ex.Message, ex);
        }
    }

    private static void EnsureSuccess(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new ConsulQueryException(ConsulErrorKind.BadStatus,
                string.Create(CultureInfo.InvariantCulture, $"Consul agent answered {(int)response.StatusCode} {response.ReasonPhrase}"));
        }
    }

    public void Dispose() => _http.Dispose();
}
