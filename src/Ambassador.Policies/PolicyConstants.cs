namespace Ambassador.Policies;
/// <summary>Marker.</summary>
public static class PolicyConstants { }
