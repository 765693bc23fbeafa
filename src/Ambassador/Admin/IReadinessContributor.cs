namespace Ambassador.Admin;

/// <summary>Lets a feature hold <c>/readyz</c> unready; each reason is shown in the answer.</summary>
public interface IReadinessContributor
{
    /// <summary>Adds one line per reason the sidecar should not get traffic now; adds nothing when ready.</summary>
    void AddUnreadyReasons(ICollection<string> reasons);
}
