using Ambassador.Configuration;

namespace Ambassador.Hosting;

/// <summary>Defaults and limits of <see cref="LimitsOptions"/>, sized for a sidecar in a 128 Mi pod.</summary>
public static class LimitsConstants
{
    /// <summary>
    /// Default <see cref="LimitsOptions.MaxConnections"/>: 256. Measured with the AOT binary (docs/reliability.md):
    /// 1,500 concurrent clients against this limit peak at 89-93 MiB RSS, under the 96 MiB a 128 Mi pod allows; memory
    /// follows the connections served, so a lower limit is the lever where a pod has less room. Not lower by default:
    /// 200 slow clients beside a normal one must still leave the normal one a slot.
    /// </summary>
    public const int DefaultMaxConnections = 256;

    /// <summary>Smallest allowed <see cref="LimitsOptions.MaxConnections"/>.</summary>
    public const int MinMaxConnections = 1;

    /// <summary>Largest allowed <see cref="LimitsOptions.MaxConnections"/>.</summary>
    public const int MaxMaxConnections = 100_000;

    /// <summary>
    /// Kestrel's per-connection request buffer (its default is 1 MiB): how much a client may send ahead of what the
    /// proxy has forwarded. 64 KiB still holds the largest request head Kestrel accepts (32 KiB).
    /// </summary>
    public const long RequestBufferBytes = 64 * 1024;

    /// <summary>HTTP/2 connection receive window (Kestrel's default is 1 MiB): what one h2c client may send unread.</summary>
    public const int Http2ConnectionWindowBytes = 256 * 1024;

    /// <summary>HTTP/2 stream receive window (Kestrel's default is 768 KiB).</summary>
    public const int Http2StreamWindowBytes = 128 * 1024;
}

/// <summary>Connection limits of the proxy listeners, section <c>Ambassador:Limits</c>. Read at start.</summary>
public sealed class LimitsOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Ambassador:Limits";

    /// <summary>
    /// Most client connections the proxy listeners (plain and TLS together) serve at once. Default 256, from 1 to
    /// 100000. At the limit the proxy listeners stop accepting: a connection beyond it waits in the kernel's listen
    /// backlog until one closes (beyond the backlog the kernel drops the connection attempt and the client's TCP
    /// retries it). The admin listener is not counted, so <c>/healthz</c> answers during a connection storm.
    /// </summary>
    public int MaxConnections { get; set; } = LimitsOptionTable.MaxConnections.Default;
}

/// <summary>The options of <c>Ambassador:Limits</c>, declared once.</summary>
internal static class LimitsOptionTable
{
    public static readonly IntegerOption<int> MaxConnections = OptionSpec.Int(
        nameof(LimitsOptions.MaxConnections), LimitsConstants.DefaultMaxConnections,
        min: LimitsConstants.MinMaxConnections, max: LimitsConstants.MaxMaxConnections,
        doc: "Most client connections the proxy listeners serve at once; beyond it new connections are not accepted and wait in the listen backlog until one closes. Read at start.");

    public static readonly OptionSection Limits = new(
        LimitsOptions.SectionName, "Connection limits of the proxy listeners, sized for a sidecar in a 128 Mi pod.", MaxConnections);
}
