using Osprey.Detection.Sigma;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>One immutable generation of the rule set: the engine and, for each compiled rule, its stored record.</summary>
public sealed record DetectionSnapshot(SigmaEngine Engine, IReadOnlyDictionary<CompiledSigmaRule, StoredRule> Rules)
{
    public static readonly DetectionSnapshot Empty = new(new SigmaEngine([]), new Dictionary<CompiledSigmaRule, StoredRule>());
}
