namespace Osprey.Detection.Yara;

/// <summary>What scanning one object gave: the rules that matched, or the YARA error (a timeout, an unreadable process).</summary>
public sealed record YaraScanOutcome(IReadOnlyList<YaraRuleHit> Hits, int Error)
{
    public bool Succeeded => Error == YaraErrors.Success;

    public string ErrorMessage => YaraErrors.Describe(Error);
}
