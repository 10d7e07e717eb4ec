using Osprey.Detection.Hunting;
using Osprey.Detection.OpenIoc;
using Osprey.Detection.Sigma;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// The enabled compiled rules and the engine built from them. Rebuilt whole when rules change and published with one
/// reference write, so a worker evaluates a batch against one consistent set, never a half-built one.
/// </summary>
public sealed partial class DetectionRuleSet(INodeStore store, ILogger<DetectionRuleSet> logger)
{
    private readonly Lock _rebuild = new();

    // Compiled rules by ID with the text they came from, so a rebuild compiles only what changed.
    private readonly Dictionary<string, (string Content, CompiledSigmaRule Rule)> _compiled = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HuntingMatcher> _queries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Content, IocDocument Document)> _iocs = new(StringComparer.Ordinal);
    private DetectionSnapshot _current = DetectionSnapshot.Empty;

    public DetectionSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Remembers rules just compiled (an import) so the next rebuild need not compile them again.</summary>
    public void Remember(string ruleId, string content, CompiledSigmaRule rule)
    {
        lock (_rebuild)
        {
            _compiled[ruleId] = (content, rule);
        }
    }

    /// <summary>Loads the enabled compiled rules from the store and publishes a new engine.</summary>
    public DetectionSnapshot Rebuild()
    {
        lock (_rebuild)
        {
            var stored = store.ListRules(new RuleFilter { Kind = SigmaImport.Kind, Status = "compiled", Enabled = true, Limit = int.MaxValue });
            var rules = new Dictionary<CompiledSigmaRule, StoredRule>(stored.Count);
            var compiler = new SigmaCompiler();
            foreach (var rule in stored)
            {
                if (!_compiled.TryGetValue(rule.RuleId, out var known) || !string.Equals(known.Content, rule.Content, StringComparison.Ordinal))
                {
                    var results = compiler.Compile(rule.Content, rule.SourceName);
                    var compiled = rule.Document < results.Count ? results[rule.Document].Compiled : null;
                    if (compiled is null)
                    {
                        // The compiler changed since the import (a newer build): the rule no longer compiles here.
                        LogRuleNoLongerCompiles(logger, rule.RuleId, rule.Document < results.Count ? results[rule.Document].Message : "document missing");
                        continue;
                    }
                    known = (rule.Content, compiled);
                    _compiled[rule.RuleId] = known;
                }
                rules[known.Rule] = rule;
            }
            var custom = CustomMatchers();
            var ioc = new IocRuleIndex(IocDocuments());
            var snapshot = new DetectionSnapshot(new SigmaEngine(rules.Keys), rules, custom, ioc);
            Volatile.Write(ref _current, snapshot);
            LogRebuilt(logger, rules.Count, custom.Count, ioc.Entries.Count);
            return snapshot;
        }
    }

    private List<(HuntingMatcher, StoredRule)> CustomMatchers()
    {
        var custom = new List<(HuntingMatcher, StoredRule)>();
        foreach (var rule in store.ListRules(new RuleFilter { Kind = CustomRules.Kind, Status = "compiled", Enabled = true, Limit = int.MaxValue }))
        {
            if (!_queries.TryGetValue(rule.Content, out var matcher))
            {
                try
                {
                    matcher = HuntingMatcher.Compile(rule.Content);
                }
                catch (HuntingQueryException e)
                {
                    // The query language changed since the rule was saved (a newer build).
                    LogRuleNoLongerCompiles(logger, rule.RuleId, e.Message);
                    continue;
                }
                _queries[rule.Content] = matcher;
            }
            custom.Add((matcher, rule));
        }
        return custom;
    }

    /// <summary>The enabled IOC rules, parsed (each once per text).</summary>
    public List<(IocDocument, StoredRule)> IocDocuments(IEnumerable<string>? ruleIds = null)
    {
        var wanted = ruleIds?.ToHashSet(StringComparer.Ordinal);
        var documents = new List<(IocDocument, StoredRule)>();
        lock (_rebuild)
        {
            foreach (var rule in store.ListRules(new RuleFilter { Kind = IocImport.Kind, Status = "compiled", Enabled = wanted is null ? true : null, Limit = int.MaxValue }))
            {
                if (wanted is not null && !wanted.Contains(rule.RuleId))
                {
                    continue;
                }
                if (!_iocs.TryGetValue(rule.RuleId, out var known) || !string.Equals(known.Content, rule.Content, StringComparison.Ordinal))
                {
                    if (IocParser.Parse(rule.Content, rule.SourceName).Document is not { } document)
                    {
                        LogRuleNoLongerCompiles(logger, rule.RuleId, "the OpenIOC document no longer parses");
                        continue;
                    }
                    _iocs[rule.RuleId] = known = (rule.Content, document);
                }
                documents.Add((known.Document, rule));
            }
        }
        return documents;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Detection engine rebuilt with {Rules} enabled Sigma rules, {Custom} custom rules and {Indicators} IOC indicators")]
    private static partial void LogRebuilt(ILogger logger, int rules, int custom, int indicators);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Rule {RuleId} no longer compiles and is left out: {Message}")]
    private static partial void LogRuleNoLongerCompiles(ILogger logger, string ruleId, string message);
}
