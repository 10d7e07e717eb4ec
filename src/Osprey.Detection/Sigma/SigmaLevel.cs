namespace Osprey.Detection.Sigma;

/// <summary>A rule's <c>level</c>: how urgent a match is, from enrichment only to an incident.</summary>
public enum SigmaLevel
{
    /// <summary>The rule has no level.</summary>
    None,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}
