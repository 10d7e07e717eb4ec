namespace Osprey.Detection.Sigma;

/// <summary>
/// Something an event matching a rule may have: a field whose last path segment is one of the keys, or which
/// contains one of them. A rule's requirements are alternatives — every match has at least one — and the engine
/// indexes the rule under each, so it runs only on events that have one.
/// </summary>
internal sealed record SigmaRequirement(SigmaField Field, SigmaRequirementKind Kind, IReadOnlyCollection<string> Keys)
{
    /// <summary>Shortest substring key worth indexing: shorter ones occur in nearly every value and slow every scan.</summary>
    public const int MinimumSubstringLength = 3;

    /// <summary>Rough cost of checking it on an event: a path lookup is cheaper and more selective than a substring scan, short substrings hit more often.</summary>
    public int Cost => Kind == SigmaRequirementKind.LastSegment ? 1 : Keys.Min(k => k.Length) < 5 ? 4 : 2;
}
