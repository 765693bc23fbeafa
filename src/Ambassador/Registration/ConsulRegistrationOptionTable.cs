using System.Globalization;
using System.Text.RegularExpressions;
using Ambassador.Configuration;

namespace Ambassador.Registration;

/// <summary>
/// The options of <c>Ambassador:Registration:Consul</c>, declared once; <see cref="ConsulRegistrationOptions"/> and
/// <see cref="ConsulCheckOptions"/> take their defaults from here.
/// </summary>
internal static partial class ConsulRegistrationOptionTable
{
    public const string ServiceNameAllowed = "use letters, digits and dashes, e.g. inventory";

    public const string PortAllowed = "use an integer from 1 to 65535, e.g. 8080";

    public static readonly StringOption ServiceName = OptionSpec.String(
        nameof(ConsulRegistrationOptions.ServiceName), null,
        "The service name callers discover (Consul Name); registration is on when it is set.",
        allowed: ServiceNameAllowed,
        check: raw => ServiceNamePattern().IsMatch(raw) ? null : $"'{raw}' is not a valid service name");

    public static readonly StringOption ServiceId = OptionSpec.String(
        nameof(ConsulRegistrationOptions.ServiceId), null,
        "The instance id (Consul ID); unset, <ServiceName>-<host>-<port> of the advertised address, stable across restarts.",
        allowed: "use letters, digits, dashes and dots without '/' or spaces, e.g. inventory-1",
        check: raw => raw.Any(c => char.IsWhiteSpace(c) || c == '/' || char.IsControl(c)) ? $"'{raw}' is not a valid service id" : null);

    public static readonly StringOption Address = OptionSpec.String(
        nameof(ConsulRegistrationOptions.Address), null,
        "The address callers use (Consul Address); unset, the inbound TLS listener's host, else the host of Ambassador:App:Address.",
        allowed: "use a host name or IP address without scheme or port, e.g. 10.0.0.5 or inventory-1.internal",
        check: raw => Uri.CheckHostName(raw.Trim('[', ']')) == UriHostNameType.Unknown ? $"'{raw}' is not a host name or IP address" : null);

    // A string, not an integer option: unset has no number (the port is derived from the listeners or the app).
    public static readonly StringOption Port = OptionSpec.String(
        nameof(ConsulRegistrationOptions.Port), null,
        "The port callers use (Consul Port); unset, the inbound TLS listener's port, else the app's.",
        allowed: PortAllowed,
        check: raw => !int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)
            ? $"'{raw}' is not an integer"
            : port is < 1 or > 65535 ? $"'{raw}' is out of range" : null);

    public static readonly StringListOption Tags = OptionSpec.List(
        nameof(ConsulRegistrationOptions.Tags), "Tags (Consul Tags), e.g. [\"primary\"].");

    public static readonly StringMapOption Meta = OptionSpec.Map(
        nameof(ConsulRegistrationOptions.Meta), "Metadata (Consul Meta): keys of letters, digits, '-' and '_'; values up to 512 characters.");

    public static readonly StringOption CheckType = OptionSpec.String(
        "Check:Type", ConsulRegistrationConstants.TtlCheck,
        "ttl: Ambassador reports the app probe's result after every probe (TTL 3 × Ambassador:App:Health:Interval); http: the agent probes Ambassador:App:HealthPath itself.",
        allowed: "use ttl or http",
        check: raw => IsCheckType(raw, ConsulRegistrationConstants.TtlCheck) || IsCheckType(raw, ConsulRegistrationConstants.HttpCheck)
            ? null
            : $"'{raw}' is not a check type");

    public static readonly DurationOption CheckInterval = OptionSpec.Duration(
        "Check:Interval", TimeSpan.FromSeconds(10), min: TimeSpan.FromSeconds(1), max: TimeSpan.FromHours(1),
        doc: "How often the agent runs an http check; not allowed with ttl.");

    public static readonly DurationOption CheckTimeout = OptionSpec.Duration(
        "Check:Timeout", TimeSpan.FromSeconds(5), min: TimeSpan.FromSeconds(1), max: TimeSpan.FromHours(1),
        doc: "Timeout of one http check; not allowed with ttl.");

    // Consul raises anything shorter than a minute to a minute.
    public static readonly DurationOption DeregisterCriticalServiceAfter = OptionSpec.Duration(
        "Check:DeregisterCriticalServiceAfter", TimeSpan.FromMinutes(1), min: TimeSpan.FromMinutes(1), max: TimeSpan.FromDays(7),
        doc: "How long the check may stay critical before Consul removes the service.");

    public static readonly OptionSection Section = new(
        ConsulRegistrationConstants.SectionName, "Registration of the app beside the sidecar in the local Consul agent.",
        ServiceName, ServiceId, Address, Port, Tags, Meta, CheckType, CheckInterval, CheckTimeout, DeregisterCriticalServiceAfter);

    public static bool IsCheckType(string? raw, string type) => string.Equals(raw?.Trim(), type, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex ServiceNamePattern();
}
