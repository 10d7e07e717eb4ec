using Osprey.Contracts.V1;

namespace Osprey.Contracts.Prevention;

/// <summary>A rule that matched, and by which criterion ("sha256", "md5" or "path").</summary>
public sealed record PreventionMatch(PreventionRule Rule, string MatchedBy);

/// <summary>
/// A prevention policy checked and compiled for matching. A rule matches a file when every criterion it gives
/// matches (hash and path pattern); a rule with no target applies to executables and scripts. Blocking rules win
/// over audit rules; among rules of one mode the first listed wins. The node validates a policy with the same code
/// before it stores it, and the agent again before it enforces it.
/// </summary>
public sealed class PreventionRuleSet
{
    public const int MaxRules = 10_000;

    private static readonly PreventionTarget[] DefaultTargets = [PreventionTarget.Executables, PreventionTarget.Scripts];
    private readonly Dictionary<PreventionTarget, List<CompiledRule>> _byTarget = [];

    private PreventionRuleSet(PreventionPolicy policy, List<CompiledRule> rules, List<ObjectError> rejected)
    {
        Policy = policy;
        Rejected = rejected;
        foreach (var rule in rules.OrderBy(r => r.Rule.Mode == PreventionMode.Block ? 0 : 1))
        {
            foreach (var target in rule.Targets)
            {
                if (!_byTarget.TryGetValue(target, out var list))
                {
                    _byTarget[target] = list = [];
                }
                list.Add(rule);
            }
        }
        RuleCount = rules.Count;
        PathDependent = rules.Any(r => r.Path is not null);
        PathDirectories = [.. rules.Where(r => r.Path is not null).Select(r => r.Path!.Directory).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>An empty rule set (nothing is intercepted).</summary>
    public static PreventionRuleSet Empty { get; } = new(new PreventionPolicy(), [], []);

    public PreventionPolicy Policy { get; }

    public ulong Version => Policy.Version;

    /// <summary>Rules enforced.</summary>
    public int RuleCount { get; }

    /// <summary>Rules refused, with the reason (object name is the rule ID).</summary>
    public IReadOnlyList<ObjectError> Rejected { get; }

    /// <summary>Whether a decision can depend on the path, not only on the file's contents.</summary>
    public bool PathDependent { get; }

    /// <summary>The directories the path patterns' matches lie in (see <see cref="PathPattern.Directory"/>).</summary>
    public IReadOnlyList<string> PathDirectories { get; }

    public bool Covers(PreventionTarget target) => _byTarget.ContainsKey(target);

    /// <summary>Whether any rule for <paramref name="target"/> needs the file's hashes.</summary>
    public bool NeedsHashes(PreventionTarget target) =>
        _byTarget.TryGetValue(target, out var rules) && rules.Exists(r => r.Md5 is not null || r.Sha256 is not null);

    /// <summary>
    /// The rule that applies to a file of <paramref name="target"/> at <paramref name="path"/>; hashes are asked for
    /// only when a rule whose path criterion matched needs them (null from <paramref name="hashes"/>: unknown, so no
    /// hash criterion matches).
    /// </summary>
    public PreventionMatch? Find(PreventionTarget target, string path, Func<(string Md5, string Sha256)?> hashes)
    {
        if (!_byTarget.TryGetValue(target, out var rules))
        {
            return null;
        }
        (string Md5, string Sha256)? known = null;
        var asked = false;
        foreach (var rule in rules)
        {
            if (rule.Path is not null && !rule.Path.IsMatch(path))
            {
                continue;
            }
            if (rule.Md5 is null && rule.Sha256 is null)
            {
                return new PreventionMatch(rule.Rule, "path");
            }
            if (!asked)
            {
                known = hashes();
                asked = true;
            }
            if (known is not { } h)
            {
                continue;
            }
            if (rule.Sha256 is not null && !rule.Sha256.Equals(h.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (rule.Md5 is not null && !rule.Md5.Equals(h.Md5, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            return new PreventionMatch(rule.Rule, rule.Sha256 is not null ? "sha256" : "md5");
        }
        return null;
    }

    /// <summary>
    /// Checks and compiles <paramref name="policy"/>. Rules with a problem are left out and listed in
    /// <see cref="Rejected"/>; a policy-level problem (too many rules, duplicate IDs) throws <see cref="ArgumentException"/>.
    /// </summary>
    public static PreventionRuleSet Compile(PreventionPolicy policy)
    {
        if (policy.Rules.Count > MaxRules)
        {
            throw new ArgumentException($"a prevention policy holds at most {MaxRules} rules; this one has {policy.Rules.Count}");
        }
        var duplicate = policy.Rules.Where(r => r.RuleId.Length > 0).GroupBy(r => r.RuleId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"rule ID '{duplicate.Key}' is used by more than one rule");
        }
        var rules = new List<CompiledRule>();
        var rejected = new List<ObjectError>();
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            var problem = Check(rule, out var compiled);
            if (problem is null)
            {
                rules.Add(compiled!);
            }
            else
            {
                var name = rule.RuleId.Length > 0 ? rule.RuleId : $"#{i + 1}";
                rejected.Add(new ObjectError { ObjectName = name, Code = 22, Message = $"rule {name}: {problem}" });
            }
        }
        return new PreventionRuleSet(policy, rules, rejected);
    }

    private static string? Check(PreventionRule rule, out CompiledRule? compiled)
    {
        compiled = null;
        if (rule.RuleId.Length == 0)
        {
            return "it has no rule ID";
        }
        if (rule.Md5.Length == 0 && rule.Sha256.Length == 0 && rule.PathPattern.Length == 0)
        {
            return "it gives no criterion (md5, sha256 or pathPattern)";
        }
        if (rule.Md5.Length > 0 && !IsHex(rule.Md5, 32))
        {
            return $"md5 '{rule.Md5}' is not 32 hexadecimal digits";
        }
        if (rule.Sha256.Length > 0 && !IsHex(rule.Sha256, 64))
        {
            return $"sha256 '{rule.Sha256}' is not 64 hexadecimal digits";
        }
        if (rule.Mode is not (PreventionMode.Block or PreventionMode.Audit))
        {
            return "its mode must be block or audit";
        }
        if (rule.Targets.Any(t => t is not (PreventionTarget.Executables or PreventionTarget.Scripts or PreventionTarget.Documents)))
        {
            return "its targets must be executables, scripts or documents";
        }
        PathPattern? path = null;
        if (rule.PathPattern.Length > 0)
        {
            path = PathPattern.TryParse(rule.PathPattern, out var error);
            if (path is null)
            {
                return error;
            }
        }
        compiled = new CompiledRule(
            rule,
            rule.Md5.Length > 0 ? rule.Md5 : null,
            rule.Sha256.Length > 0 ? rule.Sha256 : null,
            path,
            rule.Targets.Count == 0 ? DefaultTargets : [.. rule.Targets.Distinct()]);
        return null;
    }

    private static bool IsHex(string value, int length) => value.Length == length && value.All(Uri.IsHexDigit);

    private sealed record CompiledRule(PreventionRule Rule, string? Md5, string? Sha256, PathPattern? Path, PreventionTarget[] Targets);
}
