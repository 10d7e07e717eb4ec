namespace Osprey.Detection.Sigma;

/// <summary>
/// The rules of one record kind in an engine, split by their <see cref="SigmaRequirement"/>s: indexed under each, by a
/// field's last path segment or by literals a field contains, or run on every event of the kind when they have none.
/// </summary>
internal sealed class SigmaKindRules
{
    public SigmaKindRules(SigmaRecordKind kind, IReadOnlyList<SigmaRuleEntry> entries, bool prefilter)
    {
        Kind = kind;
        var always = new List<SigmaRuleEntry>();
        var byPath = new Dictionary<SigmaField, Dictionary<string, List<SigmaRuleEntry>>>();
        var byLiteral = new Dictionary<SigmaField, Dictionary<string, List<SigmaRuleEntry>>>();
        foreach (var entry in entries)
        {
            if (!prefilter || SigmaPrefilter.Find(entry.View.Predicate) is not { } requirements)
            {
                always.Add(entry);
                continue;
            }

            foreach (var requirement in requirements)
            {
                var indexes = requirement.Kind == SigmaRequirementKind.LastSegment ? byPath : byLiteral;
                if (!indexes.TryGetValue(requirement.Field, out var byKey))
                {
                    indexes[requirement.Field] = byKey = new Dictionary<string, List<SigmaRuleEntry>>(StringComparer.OrdinalIgnoreCase);
                }

                foreach (var key in requirement.Keys.Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    if (!byKey.TryGetValue(key, out var list))
                    {
                        byKey[key] = list = [];
                    }

                    list.Add(entry);
                }
            }
        }

        Always = [.. always];
        PathIndexes = [.. byPath.Select(i => new SigmaPathIndex(i.Key, i.Value.ToDictionary(k => k.Key, k => k.Value.ToArray(), StringComparer.OrdinalIgnoreCase)))];
        LiteralIndexes = [.. byLiteral.Select(i => new SigmaLiteralIndex(i.Key, i.Value))];
    }

    public SigmaRecordKind Kind { get; }

    /// <summary>The previous kind in the engine's bucket tests events the same way, so its answer holds for this one.</summary>
    public bool SameTestAsPrevious { get; init; }

    public SigmaRuleEntry[] Always { get; }

    public SigmaPathIndex[] PathIndexes { get; }

    public SigmaLiteralIndex[] LiteralIndexes { get; }
}
