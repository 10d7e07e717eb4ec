using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Evaluates events against many compiled Sigma rules. Rules are bucketed by the Osprey event type their record kinds
/// come from; within a bucket, a rule that needs a field to end in given path segments (most process rules name the
/// program) is indexed by those segments and runs only when the event's field has one of them, the others run on
/// every event of the type. Fields are read once per event; nothing is allocated per event unless a rule matches.
/// Immutable once built; <see cref="Evaluate(Event, ICollection{SigmaMatch})"/> is safe to call from many threads.
/// </summary>
public sealed class SigmaEngine
{
    private const int BucketCount = 64;

    [ThreadStatic]
    private static List<SigmaMatch>? t_found;

    private readonly KindRules[]?[] _buckets = new KindRules[]?[BucketCount];

    public SigmaEngine(IEnumerable<CompiledSigmaRule> rules, SigmaEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var prefilter = (options ?? SigmaEngineOptions.Default).Prefilter;
        Rules = [.. rules];
        foreach (var group in Rules.SelectMany(r => r.Views.Select(v => (Rule: r, View: v))).GroupBy(x => (int)x.View.Kind.EventType))
        {
            if (group.Key is < 0 or >= BucketCount)
            {
                continue;
            }

            _buckets[group.Key] = [.. group.GroupBy(x => x.View.Kind).Select(kind => new KindRules(kind.Key, [.. kind.Select(x =>
                new Entry(x.Rule, x.View, group.Count(y => y.Rule == x.Rule) > 1))], prefilter))];
        }
    }

    public IReadOnlyList<CompiledSigmaRule> Rules { get; }

    /// <summary>Adds a <see cref="SigmaMatch"/> to <paramref name="matches"/> for each rule <paramref name="e"/> matches (once per rule); returns how many.</summary>
    public int Evaluate(Event e, ICollection<SigmaMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(matches);
        var type = (int)e.PayloadCase;
        if (type is <= 0 or >= BucketCount || _buckets[type] is not { } kinds)
        {
            return 0;
        }

        var context = SigmaEvaluationContext.For(e);
        var found = 0;
        List<CompiledSigmaRule>? matched = null;
        foreach (var kind in kinds)
        {
            if (!kind.Kind.Applies(e))
            {
                continue;
            }

            foreach (var entry in kind.Always)
            {
                Try(entry, context, matches, ref found, ref matched);
            }

            foreach (var index in kind.Indexes)
            {
                var value = context.Read(index.Field);
                if (value.IsPresent && index.Lookup.TryGetValue(SigmaPathKeys.LastSegment(context.Span(value)), out var candidates))
                {
                    foreach (var entry in candidates)
                    {
                        Try(entry, context, matches, ref found, ref matched);
                    }
                }
            }
        }

        return found;
    }

    /// <summary>The rules <paramref name="e"/> matches; an empty list (not allocated) when none.</summary>
    public IReadOnlyList<SigmaMatch> Evaluate(Event e)
    {
        var found = t_found ??= [];
        found.Clear();
        Evaluate(e, found);
        return found.Count == 0 ? [] : [.. found];
    }

    private static void Try(Entry entry, SigmaEvaluationContext context, ICollection<SigmaMatch> matches, ref int found, ref List<CompiledSigmaRule>? matched)
    {
        if (!entry.View.Predicate.Evaluate(context))
        {
            return;
        }

        if (entry.InSeveralKinds)
        {
            matched ??= [];
            if (matched.Contains(entry.Rule))
            {
                return;
            }

            matched.Add(entry.Rule);
        }

        var selections = new List<string>();
        foreach (var (name, search) in entry.View.Searches)
        {
            if (search.Evaluate(context))
            {
                selections.Add(name);
            }
        }

        matches.Add(new SigmaMatch(entry.Rule, entry.View.Kind.Name, selections));
        found++;
    }

    /// <summary>One rule compiled for one record kind; <see cref="InSeveralKinds"/> when it can match the same event more than once.</summary>
    private sealed record Entry(CompiledSigmaRule Rule, SigmaCompiledView View, bool InSeveralKinds);

    /// <summary>The rules of one record kind: those indexed by a field's last path segment, and those that always run.</summary>
    private sealed class KindRules
    {
        public KindRules(SigmaRecordKind kind, List<Entry> entries, bool prefilter)
        {
            Kind = kind;
            var always = new List<Entry>();
            var indexed = new Dictionary<SigmaField, Dictionary<string, List<Entry>>>();
            foreach (var entry in entries)
            {
                if (!prefilter || SigmaPrefilter.Find(entry.View.Predicate) is not { } filter)
                {
                    always.Add(entry);
                    continue;
                }

                if (!indexed.TryGetValue(filter.Field, out var byKey))
                {
                    indexed[filter.Field] = byKey = new Dictionary<string, List<Entry>>(StringComparer.OrdinalIgnoreCase);
                }

                foreach (var key in filter.Keys.Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    if (!byKey.TryGetValue(key, out var list))
                    {
                        byKey[key] = list = [];
                    }

                    list.Add(entry);
                }
            }

            Always = [.. always];
            Indexes = [.. indexed.Select(i => new PathIndex(i.Key, i.Value.ToDictionary(k => k.Key, k => k.Value.ToArray(), StringComparer.OrdinalIgnoreCase)))];
        }

        public SigmaRecordKind Kind { get; }

        public Entry[] Always { get; }

        public PathIndex[] Indexes { get; }
    }

    /// <summary>Rules keyed by the last path segment one field must have for them to match.</summary>
    private sealed class PathIndex(SigmaField field, Dictionary<string, Entry[]> byKey)
    {
        public SigmaField Field { get; } = field;

        public Dictionary<string, Entry[]>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; } = byKey.GetAlternateLookup<ReadOnlySpan<char>>();
    }
}
