using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Ambassador.Configuration;

/// <summary>The kind of value an option holds; the docs' type column and the JSON schema type follow from it.</summary>
internal enum OptionKind
{
    Integer,
    Number,
    Boolean,
    Duration,
    String,
    Enum,
    StringList,
    StringMap,
}

/// <summary>
/// One configuration option, declared once: its key (relative to its <see cref="OptionSection"/>), type, default,
/// allowed values and a one-line doc. Validation, the unknown-key report, the options' defaults, the configuration
/// reference tables and the JSON schema all read this declaration, so they cannot disagree.
/// </summary>
/// <remarks>
/// Declare options as <c>static readonly</c> fields of one table per feature (see <c>PolicyOptionTable</c>) and let
/// the options class initialise its properties from <see cref="OptionSpec{T}.Default"/>.
/// </remarks>
internal abstract class OptionSpec
{
    private protected OptionSpec(string key, OptionKind kind, string doc)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(doc);
        Key = key;
        Kind = kind;
        Doc = doc;
    }

    /// <summary>
    /// JSON schema pattern of an integer written as a string: configuration values from environment variables and
    /// the command line are strings, and a JSON file may quote numbers too.
    /// </summary>
    public const string IntegerPattern = "^-?[0-9]+$";

    /// <summary>JSON schema pattern of a number written as a string.</summary>
    public const string NumberPattern = "^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$";

    /// <summary>JSON schema pattern of a boolean written as a string (the binder ignores case).</summary>
    public const string BooleanPattern = "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$";

    /// <summary>JSON schema pattern of a TimeSpan as configuration writes it: <c>00:00:00.500</c>, <c>1.00:00:00</c>.</summary>
    public const string DurationPattern = "^-?([0-9]+\\.)?[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]{1,7})?)?$";

    /// <summary>The key relative to its section, e.g. <c>Retry:MaxRetries</c>.</summary>
    public string Key { get; }

    /// <summary>What kind of value the option holds.</summary>
    public OptionKind Kind { get; }

    /// <summary>One line saying what the option does.</summary>
    public string Doc { get; }

    /// <summary>True for secrets: their check never quotes the value, and the docs and schema mark them.</summary>
    public bool IsSecret { get; private protected init; }

    /// <summary>The default as written in configuration, or null when the option has none (it is off or derived).</summary>
    public abstract string? DefaultText { get; }

    /// <summary>What a valid value looks like, as the second half of a problem: <c>use an integer from 0 to 10</c>.</summary>
    public abstract string Allowed { get; }

    /// <summary>The type as the docs show it: <c>integer</c>, <c>duration</c>, ….</summary>
    public string TypeName => Kind switch
    {
        OptionKind.Integer => "integer",
        OptionKind.Number => "number",
        OptionKind.Boolean => "boolean",
        OptionKind.Duration => "duration",
        OptionKind.Enum => "enum",
        OptionKind.StringList => "list of strings",
        OptionKind.StringMap => "map of strings",
        _ => "string",
    };

    /// <summary>Checks one raw value; returns what is wrong with it (the first half of a problem), or null when it is valid.</summary>
    public abstract string? Check(string raw);

    /// <summary>Writes this option's JSON schema (the value of its property).</summary>
    public abstract void WriteSchema(Utf8JsonWriter writer);

    private protected static string Quote(string raw) => $"'{raw}'";

    private protected void WriteCommon(Utf8JsonWriter writer)
    {
        writer.WriteString("description", Doc + (DefaultText is null ? string.Empty : $" Default: {DefaultText}."));
    }

    /// <summary>An integer option in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static IntegerOption<int> Int(string key, int @default, int min, int max, string doc) => new(key, @default, min, max, doc);

    /// <summary>A 64-bit integer option in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static IntegerOption<long> Long(string key, long @default, long min, long max, string doc) => new(key, @default, min, max, doc);

    /// <summary>A floating-point option between <paramref name="min"/> and <paramref name="max"/> (inclusive unless <paramref name="minExclusive"/>).</summary>
    public static NumberOption Number(string key, double @default, double min, double max, string doc, bool minExclusive = false) =>
        new(key, @default, min, max, minExclusive, doc);

    /// <summary>A <c>true</c>/<c>false</c> option.</summary>
    public static BooleanOption Bool(string key, bool @default, string doc) => new(key, @default, doc);

    /// <summary>
    /// A TimeSpan option (<c>"00:00:00.500"</c>) from <paramref name="min"/> (exclusive when <paramref name="minExclusive"/>)
    /// to <paramref name="max"/> (null: no upper limit). <paramref name="example"/> is shown when the default is zero.
    /// </summary>
    public static DurationOption Duration(string key, TimeSpan @default, TimeSpan min, TimeSpan? max, string doc, bool minExclusive = false, TimeSpan? example = null) =>
        new(key, @default, min, max, minExclusive, example, doc);

    /// <summary>
    /// A string option. <paramref name="check"/> returns what is wrong with a value (or null); <paramref name="allowed"/>
    /// says what is accepted. An empty value means "not set" (and is not checked) unless <paramref name="emptyIsUnset"/> is false.
    /// </summary>
    public static StringOption String(string key, string? @default, string doc, string allowed = "use any text", Func<string, string?>? check = null, bool secret = false, bool emptyIsUnset = true) =>
        new(key, @default, doc, allowed, check, secret, emptyIsUnset);

    /// <summary>An absolute URL option whose scheme is one of <paramref name="schemes"/>, e.g. <c>http://127.0.0.1:8500</c>.</summary>
    public static StringOption Url(string key, string? @default, string example, string doc, params string[] schemes)
    {
        var names = schemes.Length == 0 ? ["http", "https"] : schemes;
        var what = $"an absolute {string.Join(" or ", names)} URL";
        return new StringOption(key, @default, doc, $"use {what} such as {example}", raw =>
            Uri.TryCreate(raw, UriKind.Absolute, out var uri) && names.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase)
                && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
                ? null
                : $"{Quote(raw)} is not {what}", secret: false, emptyIsUnset: true)
        { Format = "uri" };
    }

    /// <summary>One of <paramref name="allowed"/> (case-insensitive), bound to <typeparamref name="TEnum"/>.</summary>
    public static EnumOption<TEnum> Enum<TEnum>(string key, TEnum @default, string doc, params TEnum[] allowed)
        where TEnum : struct, Enum => new(key, @default, allowed.Length == 0 ? System.Enum.GetValues<TEnum>() : allowed, doc);

    /// <summary>A list of strings (a JSON array; <c>Key__0</c>, <c>Key__1</c> in environment variables).</summary>
    public static StringListOption List(string key, string doc) => new(key, doc);

    /// <summary>A free-form map of string values (any child key is allowed), e.g. metadata.</summary>
    public static StringMapOption Map(string key, string doc) => new(key, doc);

    /// <summary>Formats a TimeSpan as it is written in configuration (<c>00:00:00.025</c>, <c>00:00:10</c>).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        // Milliseconds stay visible ("00:00:00.500", not "00:00:00.5"); finer digits only when they are set.
        var text = value.ToString("c", CultureInfo.InvariantCulture);
        var dot = text.LastIndexOf('.');
        if (dot < text.LastIndexOf(':'))
        {
            return text;
        }

        var trimmed = text.TrimEnd('0');
        return trimmed.Length < dot + 4 ? text[..(dot + 4)] : trimmed;
    }

    /// <summary>Formats a number invariantly.</summary>
    public static string FormatNumber(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An option whose value binds to <typeparamref name="T"/>.</summary>
internal abstract class OptionSpec<T> : OptionSpec
{
    private protected OptionSpec(string key, OptionKind kind, T @default, string doc)
        : base(key, kind, doc) => Default = @default;

    /// <summary>The value used when the key is absent; the options class initialises its property from it.</summary>
    public T Default { get; }

    /// <summary>Parses a raw value; false when it is not valid (validation has reported it).</summary>
    public abstract bool TryParse(string raw, out T value);

    /// <summary>
    /// Reads the option from <paramref name="section"/> (the section its key is relative to): the default when absent,
    /// the value when valid, false when invalid. Cross-key checks use it and skip values already reported.
    /// </summary>
    public bool TryGet(IConfiguration section, out T value)
    {
        ArgumentNullException.ThrowIfNull(section);
        var raw = section[Key];
        if (raw is null)
        {
            value = Default;
            return true;
        }

        return TryParse(raw, out value);
    }
}

/// <summary>An integer option with an inclusive range.</summary>
internal sealed class IntegerOption<T> : OptionSpec<T>
    where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
{
    internal IntegerOption(string key, T @default, T min, T max, string doc)
        : base(key, OptionKind.Integer, @default, doc)
    {
        Min = min;
        Max = max;
    }

    /// <summary>Smallest allowed value.</summary>
    public T Min { get; }

    /// <summary>Largest allowed value.</summary>
    public T Max { get; }

    public override string? DefaultText => Default.ToString(null, CultureInfo.InvariantCulture);

    public override string Allowed => Max == T.MaxValue
        ? $"use an integer of at least {Min.ToString(null, CultureInfo.InvariantCulture)}"
        : $"use an integer from {Min.ToString(null, CultureInfo.InvariantCulture)} to {Max.ToString(null, CultureInfo.InvariantCulture)}";

    public override bool TryParse(string raw, out T value) =>
        T.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= Min && value <= Max;

    public override string? Check(string raw)
    {
        if (!T.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            return $"{Quote(raw)} is not an integer";
        }

        return value < Min || value > Max ? $"{Quote(raw)} is out of range" : null;
    }

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("type");
        writer.WriteStringValue("integer");
        writer.WriteStringValue("string");
        writer.WriteEndArray();
        writer.WriteString("pattern", IntegerPattern);
        writer.WriteNumber("minimum", long.CreateSaturating(Min));
        writer.WriteNumber("maximum", long.CreateSaturating(Max));
        writer.WriteNumber("default", long.CreateSaturating(Default));
        WriteCommon(writer);
    }
}

/// <summary>A floating-point option with a range.</summary>
internal sealed class NumberOption : OptionSpec<double>
{
    internal NumberOption(string key, double @default, double min, double max, bool minExclusive, string doc)
        : base(key, OptionKind.Number, @default, doc)
    {
        Min = min;
        Max = max;
        MinExclusive = minExclusive;
    }

    public double Min { get; }

    public double Max { get; }

    public bool MinExclusive { get; }

    public override string? DefaultText => FormatNumber(Default);

    public override string Allowed => MinExclusive
        ? $"use a number greater than {FormatNumber(Min)} and at most {FormatNumber(Max)}"
        : $"use a number from {FormatNumber(Min)} to {FormatNumber(Max)}";

    public override bool TryParse(string raw, out double value) =>
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && InRange(value);

    public override string? Check(string raw)
    {
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return $"{Quote(raw)} is not a number";
        }

        return InRange(value) ? null : $"{Quote(raw)} is out of range";
    }

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("type");
        writer.WriteStringValue("number");
        writer.WriteStringValue("string");
        writer.WriteEndArray();
        writer.WriteString("pattern", NumberPattern);
        writer.WriteNumber(MinExclusive ? "exclusiveMinimum" : "minimum", Min);
        writer.WriteNumber("maximum", Max);
        writer.WriteNumber("default", Default);
        WriteCommon(writer);
    }

    private bool InRange(double value) => double.IsFinite(value) && (MinExclusive ? value > Min : value >= Min) && value <= Max;
}

/// <summary>A boolean option.</summary>
internal sealed class BooleanOption : OptionSpec<bool>
{
    internal BooleanOption(string key, bool @default, string doc)
        : base(key, OptionKind.Boolean, @default, doc)
    {
    }

    public override string? DefaultText => Default ? "true" : "false";

    public override string Allowed => "use true or false";

    public override bool TryParse(string raw, out bool value) => bool.TryParse(raw, out value);

    public override string? Check(string raw) => bool.TryParse(raw, out _) ? null : $"{Quote(raw)} is not a boolean";

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("type");
        writer.WriteStringValue("boolean");
        writer.WriteStringValue("string");
        writer.WriteEndArray();
        writer.WriteString("pattern", BooleanPattern);
        writer.WriteBoolean("default", Default);
        WriteCommon(writer);
    }
}

/// <summary>A TimeSpan option with a range.</summary>
internal sealed class DurationOption : OptionSpec<TimeSpan>
{
    private readonly TimeSpan? _example;

    internal DurationOption(string key, TimeSpan @default, TimeSpan min, TimeSpan? max, bool minExclusive, TimeSpan? example, string doc)
        : base(key, OptionKind.Duration, @default, doc)
    {
        Min = min;
        Max = max;
        MinExclusive = minExclusive;
        _example = example;
    }

    public TimeSpan Min { get; }

    public TimeSpan? Max { get; }

    public bool MinExclusive { get; }

    public override string? DefaultText => FormatDuration(Default);

    public override string Allowed
    {
        get
        {
            var lower = MinExclusive ? $"greater than {FormatDuration(Min)}" : $"of at least {FormatDuration(Min)}";
            var range = Max is not { } max
                ? lower
                : MinExclusive ? $"{lower} and at most {FormatDuration(max)}" : $"from {FormatDuration(Min)} to {FormatDuration(max)}";
            var example = _example ?? (Default > TimeSpan.Zero ? Default : TimeSpan.FromSeconds(5));
            return $"use a TimeSpan {range}, e.g. {FormatDuration(example)}";
        }
    }

    public override bool TryParse(string raw, out TimeSpan value) =>
        TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out value) && InRange(value);

    public override string? Check(string raw)
    {
        if (!TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out var value))
        {
            return $"{Quote(raw)} is not a duration";
        }

        return InRange(value) ? null : $"{Quote(raw)} is out of range";
    }

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "string");
        writer.WriteString("pattern", DurationPattern);
        writer.WriteString("default", FormatDuration(Default));
        WriteCommon(writer);
    }

    private bool InRange(TimeSpan value) => (MinExclusive ? value > Min : value >= Min) && (Max is not { } max || value <= max);
}

/// <summary>A string option with an optional check.</summary>
internal sealed class StringOption : OptionSpec<string?>
{
    private readonly Func<string, string?>? _check;
    private readonly bool _emptyIsUnset;

    internal StringOption(string key, string? @default, string doc, string allowed, Func<string, string?>? check, bool secret, bool emptyIsUnset)
        : base(key, OptionKind.String, @default, doc)
    {
        Allowed = allowed;
        _check = check;
        IsSecret = secret;
        _emptyIsUnset = emptyIsUnset;
    }

    /// <summary>A JSON schema <c>format</c> hint (e.g. <c>uri</c>) for editors, or null.</summary>
    public string? Format { get; init; }

    public override string? DefaultText => Default;

    public override string Allowed { get; }

    public override bool TryParse(string raw, out string? value)
    {
        var unset = string.IsNullOrWhiteSpace(raw) && _emptyIsUnset;
        value = unset ? Default : raw.Trim();
        return Check(raw) is null;
    }

    public override string? Check(string raw) => string.IsNullOrWhiteSpace(raw) && _emptyIsUnset ? null : _check?.Invoke(raw);

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "string");
        if (Default is not null)
        {
            writer.WriteString("default", Default);
        }

        WriteCommon(writer);
    }
}

/// <summary>An option holding one of a fixed set of names, bound to an enum.</summary>
internal sealed class EnumOption<TEnum> : OptionSpec<TEnum>
    where TEnum : struct, Enum
{
    internal EnumOption(string key, TEnum @default, TEnum[] allowed, string doc)
        : base(key, OptionKind.Enum, @default, doc) => Values = allowed;

    /// <summary>The accepted values.</summary>
    public IReadOnlyList<TEnum> Values { get; }

    public override string? DefaultText => Default.ToString();

    public override string Allowed => $"use one of {string.Join(", ", Values)}";

    public override bool TryParse(string raw, out TEnum value)
    {
        value = Default;
        foreach (var candidate in Values)
        {
            if (string.Equals(candidate.ToString(), raw.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        return false;
    }

    public override string? Check(string raw) => TryParse(raw, out _) ? null : $"{Quote(raw)} is not allowed";

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "string");
        writer.WriteStartArray("enum");
        foreach (var value in Values)
        {
            writer.WriteStringValue(value.ToString());
        }

        writer.WriteEndArray();
        writer.WriteString("default", Default.ToString());
        WriteCommon(writer);
    }
}

/// <summary>A list of strings.</summary>
internal sealed class StringListOption : OptionSpec<IReadOnlyList<string>>
{
    internal StringListOption(string key, string doc)
        : base(key, OptionKind.StringList, [], doc)
    {
    }

    public override string? DefaultText => null;

    public override string Allowed => "use a JSON array of strings, e.g. [\"a\", \"b\"]";

    public override bool TryParse(string raw, out IReadOnlyList<string> value)
    {
        value = [raw];
        return true;
    }

    public override string? Check(string raw) => null;

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "array");
        writer.WriteStartObject("items");
        writer.WriteString("type", "string");
        writer.WriteEndObject();
        WriteCommon(writer);
    }
}

/// <summary>A free-form map of strings.</summary>
internal sealed class StringMapOption : OptionSpec<IReadOnlyDictionary<string, string>>
{
    internal StringMapOption(string key, string doc)
        : base(key, OptionKind.StringMap, new Dictionary<string, string>(), doc)
    {
    }

    public override string? DefaultText => null;

    public override string Allowed => "use a JSON object of string values, e.g. { \"team\": \"inventory\" }";

    public override bool TryParse(string raw, out IReadOnlyDictionary<string, string> value)
    {
        value = Default;
        return false;
    }

    public override string? Check(string raw) => "is a single value, not a map";

    public override void WriteSchema(Utf8JsonWriter writer)
    {
        writer.WriteString("type", "object");
        writer.WriteStartObject("additionalProperties");
        writer.WriteString("type", "string");
        writer.WriteEndObject();
        WriteCommon(writer);
    }
}
