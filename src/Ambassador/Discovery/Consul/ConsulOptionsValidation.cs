using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Discovery.Consul;

/// <summary>
/// Checks <c>Ambassador:Discovery:Consul</c> in a candidate configuration and reports every problem at once, each
/// naming the full key. Works on the raw strings so a typo is reported instead of failing the binder.
/// </summary>
internal static class ConsulOptionsValidation
{
    /// <summary>Reports each problem through <paramref name="report"/> (key, message).</summary>
    public static void Validate(IConfiguration candidate, Action<string, string> report)
    {
        var section = candidate.GetSection(ConsulConstants.SectionName);
        string Key(string name) => ConsulConstants.SectionName + ":" + name;

        var address = section["Address"];
        if (!string.IsNullOrWhiteSpace(address)
            && (!Uri.TryCreate(address, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || !string.IsNullOrEmpty(uri.Query)
                || !string.IsNullOrEmpty(uri.Fragment)))
        {
            report(Key("Address"), $"must be an absolute http(s) URL such as http://127.0.0.1:8500, got '{address}'");
        }

        var wait = section["WaitTime"];
        if (wait is not null)
        {
            if (!TimeSpan.TryParse(wait, CultureInfo.InvariantCulture, out var waitTime))
            {
                report(Key("WaitTime"), $"must be a TimeSpan such as 00:05:00, got '{wait}'");
            }
            else if (waitTime <= TimeSpan.Zero || waitTime > ConsulConstants.MaxWaitTime)
            {
                report(Key("WaitTime"), $"must be greater than 00:00:00 and at most 00:10:00 (Consul's cap), got '{wait}'");
            }
        }

        var onlyPassing = section["OnlyPassing"];
        if (onlyPassing is not null && !bool.TryParse(onlyPassing, out _))
        {
            report(Key("OnlyPassing"), $"must be true or false, got '{onlyPassing}'");
        }

        var maxBytes = section["MaxResponseBytes"];
        if (maxBytes is not null
            && (!long.TryParse(maxBytes, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes < 1024))
        {
            report(Key("MaxResponseBytes"), $"must be a whole number of bytes >= 1024, got '{maxBytes}'");
        }

        // Never echo the token: it is a secret even when malformed.
        var token = section["Token"];
        if (token is not null && token.Any(char.IsControl))
        {
            report(Key("Token"), "must not contain control characters (it is sent as the X-Consul-Token header)");
        }
    }
}
