namespace Ambassador.Policies;

/// <summary>Reasons for the few trimming suppressions.</summary>
internal static class TrimmingJustification
{
    /// <summary>Why a TimeSpan <c>[Range]</c> on an options property is safe.</summary>
    public const string TimeSpanRange =
        "Options are validated only by the [OptionsValidator] source-generated validator, which emits its own trim-safe "
        + "range check for TimeSpan; the attribute's TypeConverter path is never reached.";
}
