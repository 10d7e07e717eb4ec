using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Evaluates events against many compiled Sigma rules. Rules are bucketed by the Osprey event type their record kinds
/// come from; within a bucket, a rule that needs a field to end in given path segments (most process rules name the
/// program) or to contain given literals is indexed by them and runs only on events that have one; the rest run on
/// every event of the type. Fields are read once per event; nothing is allocated per event unless a rule matches.
/// Immutable once built; <see cref="Evaluate(Event, ICollection{SigmaMatch})"/> is safe to call from many threads.
/// </summary>
public sealed class SigmaEngine
{
    private const int BucketCount = 64;

    [ThreadStatic]
    private static List<SigmaMatch>? t_found;

    private readonly SigmaKindRules[]?[] _buckets = new SigmaKindRules[]?[BucketCount];

    public SigmaEngine(IEnumerable<CompiledSigmaRule> rules, SigmaEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var prefilter = (options ?? SigmaEngineOptions.Default).Prefilter;
        Rules = [.. rules];
        var id = 0;
        foreach (var bucket in Rules.SelectMany(r => r.Views.Select(v => (Rule: r, View: v))).GroupBy(x => (int)x.View.Kind.EventType))
        {
            if (bucket.Key is <= 0 or >= BucketCount)
            {
                continue;
            }

            // Kinds of one event type mostly share their test (exec starts, Linux devices): ordered by it, it runs once.
            var kinds = new List<SigmaKindRules>();
            var viewsPerRule = bucket.CountBy(x => x.Rule).ToDictionary();
            foreach (var kind in bucket.GroupBy(x => x.View.Kind).OrderBy(k => k.Key.Applies.Method.Name, StringComparer.Ordinal))
            {
                var entries = kind.Select(x => new SigmaRuleEntry(id++, x.Rule, x.View, viewsPerRule[x.Rule] > 1)).ToList();
                var same = kinds.Count > 0 && kinds[^1].Kind.Applies.Method == kind.Key.Applies.Method && kinds[^1].Kind.Applies.Target == kind.Key.Applies.Target;
                kinds.Add(new SigmaKindRules(kind.Key, entries, prefilter) { SameTestAsPrevious = same });
            }

            _buckets[bucket.Key] = [.. kinds];
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

        var state = new State(SigmaEvaluationContext.For(e), matches);
        var applies = false;
        foreach (var kind in kinds)
        {
            if (!kind.SameTestAsPrevious)
            {
                applies = kind.Kind.Applies(e);
            }

            if (!applies)
            {
                continue;
            }

            foreach (var entry in kind.Always)
            {
                Try(entry, ref state);
            }

            foreach (var index in kind.PathIndexes)
            {
                var value = state.Context.Read(index.Field);
                if (value.IsPresent && index.Lookup.TryGetValue(SigmaPathKeys.LastSegment(state.Context.Span(value)), out var candidates))
                {
                    foreach (var entry in candidates)
                    {
                        if (state.Context.TryMark(entry.Id))
                        {
                            Try(entry, ref state);
                        }
                    }
                }
            }

            foreach (var index in kind.LiteralIndexes)
            {
                var value = state.Context.Read(index.Field);
                if (value.IsPresent)
                {
                    index.Find(state.Context.Span(value), state.Context, ref state, Try);
                }
            }
        }

        return state.Found;
    }

    /// <summary>The rules <paramref name="e"/> matches; an empty list (not allocated) when none.</summary>
    public IReadOnlyList<SigmaMatch> Evaluate(Event e)
    {
        var found = t_found ??= [];
        found.Clear();
        Evaluate(e, found);
        return found.Count == 0 ? [] : [.. found];
    }

    private static void Try(SigmaRuleEntry entry, ref State state)
    {
        var context = state.Context;
        if (!entry.View.Predicate.Evaluate(context))
        {
            return;
        }

        if (entry.InSeveralKinds)
        {
            state.Matched ??= [];
            if (state.Matched.Contains(entry.Rule))
            {
                return;
            }

            state.Matched.Add(entry.Rule);
        }

        var selections = new List<string>();
        foreach (var (name, search) in entry.View.Searches)
        {
            if (search.Evaluate(context))
            {
                selections.Add(name);
            }
        }

        state.Matches.Add(new SigmaMatch(entry.Rule, entry.View.Kind.Name, selections));
        state.Found++;
    }

    /// <summary>What one evaluation carries between rules: the context, where matches go, and which multi-kind rules already matched.</summary>
    private struct State(SigmaEvaluationContext context, ICollection<SigmaMatch> matches)
    {
        public readonly SigmaEvaluationContext Context = context;
        public readonly ICollection<SigmaMatch> Matches = matches;
        public List<CompiledSigmaRule>? Matched;
        public int Found;
    }
}
