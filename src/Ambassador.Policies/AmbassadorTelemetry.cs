namespace Ambassador;

/// <summary>Names shared by every component that emits Ambassador telemetry.</summary>
public static class AmbassadorTelemetry
{
    /// <summary>The one <see cref="System.Diagnostics.Metrics.Meter"/> name all Ambassador instruments live on.</summary>
    public const string MeterName = "Ambassador";

    /// <summary>The one <see cref="System.Diagnostics.ActivitySource"/> name Ambassador's own spans use.</summary>
    public const string ActivitySourceName = "Ambassador";
}
