using System.Globalization;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// Evaluates indicator trees against a set of objects. An IndicatorItem holds for the objects of its item type that
/// satisfy it; an AND holds when all its children hold, and children on the same item type must hold for the same
/// object (a FileItem name and an MD5 name one file; a process name and its arguments one process), while children
/// on different item types each bind their own objects; an OR holds when any child holds. An item on a term the
/// catalog does not know never holds and is listed as a warning.
/// </summary>
public sealed class IocEvaluator(IocTermCatalog terms)
{
    /// <summary>Objects reported per indicator when the caller gives no bound.</summary>
    public const int DefaultMaxObjects = 100;

    // Up to this many candidates an equality is tested on each; beyond, through the term's index.
    private const int IndexWorthwhile = 64;

    public IocTermCatalog Terms => terms;

    /// <summary>Evaluates one top-level indicator.</summary>
    public IocIndicatorOutcome Evaluate(IocIndicator indicator, IocObjectSet objects, int maxObjects = DefaultMaxObjects)
    {
        var items = indicator.Items().ToList();
        var timeoutsBefore = items.Select(i => i.RegexTimeouts).ToList();
        var result = Evaluate(indicator, objects, restriction: null);
        var warnings = UnknownTermWarnings(items);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].RegexTimeouts - timeoutsBefore[i] is > 0 and var timedOut)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"IndicatorItem '{items[i].Id}': the regular expression ran out of time ({IocLimits.RegexTimeout.TotalMilliseconds} ms) on {timedOut} values, which count as no match"));
            }
        }
        if (result.Count == 0)
        {
            return new IocIndicatorOutcome { Indicator = indicator, Warnings = warnings };
        }
        var branch = IocBranch.Empty;
        var bound = new SortedDictionary<string, SortedSet<int>>(StringComparer.OrdinalIgnoreCase);
        foreach (var alternative in result)
        {
            branch = IocBranch.Union(branch, alternative.Nodes);
            foreach (var (document, matched) in alternative.Objects)
            {
                if (!bound.TryGetValue(document, out var set))
                {
                    bound[document] = set = [];
                }
                foreach (var (index, objectBranch) in matched)
                {
                    set.Add(index);
                    branch = IocBranch.Union(branch, objectBranch);
                }
            }
        }
        var byOrdinal = new Dictionary<int, string>();
        Collect(indicator, byOrdinal);
        var found = bound.SelectMany(d => d.Value.Select(i => objects.Of(d.Key)[i])).ToList();
        var limit = Math.Max(0, maxObjects);
        return new IocIndicatorOutcome
        {
            Indicator = indicator,
            Detected = true,
            MatchedBranch = [.. branch.Select(o => byOrdinal[o])],
            Objects = found.Count > limit ? found[..limit] : found,
            ObjectsTruncated = found.Count > limit,
            Warnings = warnings,
        };
    }

    /// <summary>One warning per term of the indicator the catalog does not know, with how many items use it.</summary>
    public List<string> UnknownTermWarnings(IEnumerable<IocItem> items) =>
        [.. items.Where(i => !terms.IsKnown(i.Search))
            .GroupBy(i => i.Search, StringComparer.OrdinalIgnoreCase)
            .Select(g => string.Create(CultureInfo.InvariantCulture,
                $"term '{g.Key}' is not evaluated here, so its {g.Count()} item{(g.Count() == 1 ? "" : "s")} ({string.Join(", ", g.Take(3).Select(i => i.Id))}{(g.Count() > 3 ? ", …" : "")}) never match"))];

    /// <summary>
    /// The alternatives under which <paramref name="node"/> holds. <paramref name="restriction"/> (from an enclosing
    /// AND) limits, per item type, the objects worth testing: any other would be dropped by the AND anyway.
    /// </summary>
    private List<IocBinding> Evaluate(IocNode node, IocObjectSet objects, Dictionary<string, HashSet<int>>? restriction)
    {
        if (node is IocItem item)
        {
            return EvaluateItem(item, objects, restriction);
        }
        var indicator = (IocIndicator)node;
        List<IocBinding> result;
        if (indicator.Operator == IocOperator.Or)
        {
            var alternatives = new List<IocBinding>();
            foreach (var child in indicator.Children)
            {
                alternatives.AddRange(Evaluate(child, objects, restriction));
            }
            result = IocBinding.Normalize(alternatives);
        }
        else
        {
            result = [new IocBinding()];
            foreach (var child in indicator.Children.OrderBy(Cost))
            {
                var childResult = Evaluate(child, objects, Narrow(restriction, result));
                var combined = new List<IocBinding>();
                foreach (var a in result)
                {
                    foreach (var b in childResult)
                    {
                        if (IocBinding.And(a, b) is { } both)
                        {
                            combined.Add(both);
                        }
                    }
                }
                result = IocBinding.Normalize(combined);
                if (result.Count == 0)
                {
                    break;
                }
            }
        }
        foreach (var alternative in result)
        {
            alternative.Nodes = IocBranch.With(alternative.Nodes, indicator.Ordinal);
        }
        return result;
    }

    private List<IocBinding> EvaluateItem(IocItem item, IocObjectSet objects, Dictionary<string, HashSet<int>>? restriction)
    {
        if (!terms.IsKnown(item.Search))
        {
            return [];
        }
        var candidates = objects.Of(item.Document);
        var matched = new Dictionary<int, int[]>();
        var branch = IocBranch.Of(item.Ordinal);
        var only = restriction is not null && restriction.TryGetValue(item.Document, out var allowed) ? allowed : null;
        // An equality is answered by the term's index (a hash among a hundred thousand files at once), unless an
        // enclosing AND already narrowed the candidates to few, or to some whose term is costly to read (file hashes).
        var useIndex = item.EqualityKey is not null
            && (only is null || (only.Count > IndexWorthwhile && terms.Find(item.Search) is not { Costly: true }));
        if (useIndex)
        {
            var column = objects.Column(item.Document, item.Search);
            foreach (var index in objects.WithValue(item.Document, item.Search, item.EqualityKey!))
            {
                if ((only is null || only.Contains(index)) && item.Holds(column[index]))
                {
                    matched[index] = branch;
                }
            }
        }
        else if (only is not null)
        {
            foreach (var index in only)
            {
                if (item.Holds(candidates[index].Values(item.Search)))
                {
                    matched[index] = branch;
                }
            }
        }
        else
        {
            var column = objects.Column(item.Document, item.Search);
            for (var index = 0; index < column.Count; index++)
            {
                if (item.Holds(column[index]))
                {
                    matched[index] = branch;
                }
            }
        }
        if (matched.Count == 0)
        {
            return [];
        }
        var binding = new IocBinding();
        binding.Objects[item.Document] = matched;
        return [binding];
    }

    /// <summary>The restriction for the next child of an AND: per item type every alternative so far constrains, the objects they allow.</summary>
    private static Dictionary<string, HashSet<int>>? Narrow(Dictionary<string, HashSet<int>>? outer, List<IocBinding> sofar)
    {
        var narrowed = outer is null ? null : new Dictionary<string, HashSet<int>>(outer, StringComparer.OrdinalIgnoreCase);
        foreach (var document in sofar[0].Objects.Keys)
        {
            if (!sofar.All(a => a.Objects.ContainsKey(document)))
            {
                continue;
            }
            narrowed ??= new Dictionary<string, HashSet<int>>(StringComparer.OrdinalIgnoreCase);
            narrowed[document] = [.. sofar.SelectMany(a => a.Objects[document].Keys)];
        }
        return narrowed;
    }

    /// <summary>Order of an AND's children: cheap items first, nested Indicators, then items on costly terms (file hashes).</summary>
    private int Cost(IocNode node) => node switch
    {
        IocItem item when terms.Find(item.Search) is { Costly: true } => 3,
        IocItem item => item.ValueTest.Cost > 1 ? 1 : 0,
        _ => 2,
    };

    private static void Collect(IocNode node, Dictionary<int, string> byOrdinal)
    {
        var stack = new Stack<IocNode>();
        stack.Push(node);
        while (stack.TryPop(out var n))
        {
            byOrdinal[n.Ordinal] = n.Id;
            if (n is IocIndicator indicator)
            {
                foreach (var child in indicator.Children)
                {
                    stack.Push(child);
                }
            }
        }
    }
}
