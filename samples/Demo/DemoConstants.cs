namespace Demo;

/// <summary>Fixed numbers of the demo run.</summary>
internal static class DemoConstants
{
    /// <summary>The whole demo ends by itself after this long at the latest.</summary>
    public static readonly TimeSpan OverallDeadline = TimeSpan.FromSeconds(120);

    /// <summary>How long each started app may take to become ready.</summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(40);

    /// <summary>Requests per phase.</summary>
    public const int RequestsPerPhase = 20;

    /// <summary>Pause between two requests of a phase (sequential traffic, like one user clicking).</summary>
    public static readonly TimeSpan RequestPause = TimeSpan.FromMilliseconds(100);

    /// <summary>How long to wait for a healed instance to get traffic again.</summary>
    public static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Timeout of one HTTP call made by the demo itself.</summary>
    public static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(5);

    public const string InventoryA = "inventory-a";
    public const string InventoryB = "inventory-b";
    public const string ClusterId = "inventory";
}
