using Osprey.Detection.Yara;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>One immutable generation of the YARA rules: the compiled set (null when no rule is enabled) and the stored rule of each file (namespace).</summary>
public sealed record YaraSnapshot(YaraRules? Rules, IReadOnlyDictionary<string, StoredRule> ByNamespace)
{
    public static readonly YaraSnapshot Empty = new(null, new Dictionary<string, StoredRule>());
}
