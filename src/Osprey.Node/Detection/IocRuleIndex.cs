using System.Globalization;
using Osprey.Detection.OpenIoc;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// The enabled IOC rules' indicators, indexed by the values that must be present for each to match, so an event (on the
/// stream) or the events database (retrospectively) is tested only against indicators it could satisfy.
/// </summary>
/// <remarks>
/// An indicator's keys are a necessary condition: an <c>is</c> item on an exact-valued term needs its value; an AND
/// needs the keys of any one child (the fewest are taken), an OR those of all children. An indicator without keys (a
/// negation, a pattern, a range) is tested on every event of the item types it names. The keys only select; the
/// evaluator decides, with every condition, case rule and data type.
/// </remarks>
public sealed class IocRuleIndex
{
    public static readonly IocRuleIndex Empty = new([]);

    private static readonly IocEvaluator Evaluator = new(EventIocObjects.Telemetry);

    // Terms with one exact value per object, and where the events table keeps them.
    private static readonly Dictionary<string, (string[] Columns, bool Number)> KeyTerms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FileItem/Md5sum"] = (["md5"], false),
        ["FileItem/Sha256sum"] = (["sha256"], false),
        ["FileItem/FileName"] = (["file_name", "process_name"], false),
        ["FileItem/FullPath"] = (["file_path", "process_path"], false),
        ["ProcessItem/name"] = (["process_name"], false),
        ["ProcessItem/path"] = (["process_path"], false),
        ["PortItem/remoteIP"] = (["remote_ip"], false),
        ["PortItem/localIP"] = (["local_ip"], false),
        ["PortItem/remotePort"] = (["remote_port"], true),
        ["PortItem/localPort"] = (["local_port"], true),
        ["DnsEntryItem/Host"] = (["dns_name"], false),
        ["DnsEntryItem/RecordName"] = (["dns_name"], false),
    };

    // The keyed terms split once: item type, search path, and the path as index keys hold it.
    private static readonly (string Document, string Term, string Key)[] KeyLookups =
        [.. KeyTerms.Keys.Select(t => (t.Split('/')[0], t, t.ToLowerInvariant()))];

    // Event types whose events carry objects of an item type.
    private static readonly Dictionary<string, string[]> TypesOf = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FileItem"] = ["FileCreate", "FileModify", "FileDelete", "FileRename", "ModuleLoad", "ExecutionBlocked", "DocumentBlocked", "ProcessStart"],
        ["PortItem"] = ["NetworkConnection", "PortListen"],
        ["DnsEntryItem"] = ["DnsQuery"],
    };

    private readonly Dictionary<(string Term, string Value), List<IocRuleEntry>> _byKey = [];
    private readonly List<IocRuleEntry> _always = [];
    private readonly HashSet<string> _alwaysTypes = new(StringComparer.Ordinal);
    private bool _alwaysEveryType;

    public IocRuleIndex(IEnumerable<(IocDocument Document, StoredRule Rule)> rules)
    {
        foreach (var (document, rule) in rules)
        {
            foreach (var indicator in document.Indicators)
            {
                var entry = new IocRuleEntry(rule, document, indicator);
                Entries.Add(entry);
                if (Keys(indicator) is { } keys)
                {
                    foreach (var key in keys)
                    {
                        if (!_byKey.TryGetValue(key, out var list))
                        {
                            _byKey[key] = list = [];
                        }
                        list.Add(entry);
                    }
                    continue;
                }
                _always.Add(entry);
                foreach (var item in indicator.Items())
                {
                    var type = item.Search.Split('/')[0];
                    if (TypesOf.TryGetValue(type, out var types))
                    {
                        _alwaysTypes.UnionWith(types);
                    }
                    else if (EventIocObjects.Telemetry.IsKnown(item.Search))
                    {
                        // A ProcessItem term: every event names its process.
                        _alwaysEveryType = true;
                    }
                }
            }
        }
    }

    /// <summary>Every indicator of every rule.</summary>
    public List<IocRuleEntry> Entries { get; } = [];

    public bool IsEmpty => Entries.Count == 0;

    /// <summary>The indicators that match one event's objects, each with what the evaluator found.</summary>
    public IEnumerable<(IocRuleEntry Entry, IocIndicatorOutcome Outcome)> Match(IocObjectSet objects)
    {
        var candidates = new HashSet<IocRuleEntry>(_always);
        foreach (var (document, term, key) in KeyLookups)
        {
            foreach (var o in objects.Of(document))
            {
                foreach (var value in o.Values(term) ?? [])
                {
                    if (_byKey.TryGetValue((key, Normalize(term, value)), out var entries))
                    {
                        candidates.UnionWith(entries);
                    }
                }
            }
        }
        foreach (var entry in candidates)
        {
            var outcome = Evaluator.Evaluate(entry.Indicator, objects, maxObjects: 10);
            if (outcome.Detected)
            {
                yield return (entry, outcome);
            }
        }
    }

    /// <summary>What the events database must return for a retrospective pass: the keyed values per column, and the types whole.</summary>
    public EventScan Scan(long? fromUs, long? toUs)
    {
        var texts = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var (term, value) in _byKey.Keys)
        {
            var (columns, number) = KeyTerms[term];
            foreach (var column in columns)
            {
                if (number)
                {
                    (numbers.TryGetValue(column, out var n) ? n : numbers[column] = []).Add(long.Parse(value, CultureInfo.InvariantCulture));
                }
                else
                {
                    (texts.TryGetValue(column, out var t) ? t : texts[column] = new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(value);
                }
            }
        }
        return new EventScan
        {
            FromUs = fromUs,
            ToUs = toUs,
            Texts = texts.ToDictionary(t => t.Key, t => (IReadOnlyList<string>)[.. t.Value], StringComparer.Ordinal),
            Numbers = numbers.ToDictionary(n => n.Key, n => (IReadOnlyList<long>)[.. n.Value], StringComparer.Ordinal),
            EventTypes = _alwaysEveryType ? [.. Enum.GetNames<Osprey.Contracts.V1.EventType>()] : [.. _alwaysTypes],
        };
    }

    /// <summary>Values an indicator needs (one of them), or null when it cannot be narrowed to values.</summary>
    private static HashSet<(string, string)>? Keys(IocNode node)
    {
        switch (node)
        {
            case IocItem item when !EventIocObjects.Telemetry.IsKnown(item.Search):
                // A term telemetry does not carry never holds (negated or not): nothing can make it match.
                return [];
            case IocItem item:
                if (item.Negate || item.Condition != IocCondition.Is || !KeyTerms.TryGetValue(item.Search, out var term) || item.Content.Length == 0)
                {
                    return null;
                }
                if (term.Number && !long.TryParse(item.Content.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    return null;
                }
                if (item.DataType == IocDataType.Ip && item.Content.Contains('/', StringComparison.Ordinal))
                {
                    return null;
                }
                return [(item.Search.ToLowerInvariant(), Normalize(item.Search, item.Content.Trim()))];
            case IocIndicator { Operator: IocOperator.And } and:
                return and.Children.Select(Keys).Where(k => k is not null).MinBy(k => k!.Count);
            case IocIndicator or:
                var union = new HashSet<(string, string)>();
                foreach (var child in or.Children)
                {
                    if (Keys(child) is not { } keys)
                    {
                        return null;
                    }
                    union.UnionWith(keys);
                }
                return union;
            default:
                return null;
        }
    }

    private static string Normalize(string term, string value) =>
        KeyTerms.TryGetValue(term, out var t) && t.Number && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : value.ToLowerInvariant();
}

/// <summary>One indicator of an enabled IOC rule.</summary>
public sealed record IocRuleEntry(StoredRule Rule, IocDocument Document, IocIndicator Indicator);
