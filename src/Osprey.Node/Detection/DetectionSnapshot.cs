using Osprey.Detection.Hunting;
using Osprey.Detection.Sigma;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// One immutable generation of the rule set: the Sigma engine and, for each compiled Sigma rule, its stored record; and
/// the custom rules (saved hunting queries) with theirs; and the IOC rules' indicators.
/// </summary>
public sealed record DetectionSnapshot(
    SigmaEngine Engine, IReadOnlyDictionary<CompiledSigmaRule, StoredRule> Rules, IReadOnlyList<(HuntingMatcher Matcher, StoredRule Rule)> Custom, IocRuleIndex Ioc)
{
    public static readonly DetectionSnapshot Empty = new(new SigmaEngine([]), new Dictionary<CompiledSigmaRule, StoredRule>(), [], IocRuleIndex.Empty);
}
