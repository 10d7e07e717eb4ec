using System.Collections.Frozen;

namespace Osprey.Detection.Sigma;

/// <summary>Rules keyed by the last path segment one field must have for them to match.</summary>
internal sealed class SigmaPathIndex(SigmaField field, Dictionary<string, SigmaRuleEntry[]> byKey)
{
    public SigmaField Field { get; } = field;

    public FrozenDictionary<string, SigmaRuleEntry[]>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; } =
        byKey.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase).GetAlternateLookup<ReadOnlySpan<char>>();
}
