using Polly;

namespace Ambassador.Policies.Proxy;

/// <summary>Properties carried on the Polly <see cref="ResilienceContext"/> of a proxied request.</summary>
internal static class ResilienceKeys
{
    /// <summary>The per-request state of the resilience middleware.</summary>
    public static readonly ResiliencePropertyKey<RequestState> Request = new("ambassador.request");
}
