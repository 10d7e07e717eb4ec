namespace Osprey.Detection.OpenIoc;

/// <summary>
/// One way a node holds: for each item type it constrains, the objects (by index in the object set) that satisfy it
/// and, per object, the nodes that object satisfied; plus the Indicators that held along the way. A node's result is
/// a list of such alternatives (an OR gives one per way), empty when it does not hold.
/// </summary>
internal sealed class IocBinding
{
    public Dictionary<string, Dictionary<int, int[]>> Objects { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int[] Nodes { get; set; } = IocBranch.Empty;

    /// <summary>The item types constrained, sorted: alternatives with the same key merge.</summary>
    public string Key => string.Join('\n', Objects.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal));

    /// <summary>Both hold at once: per item type constrained by both, the objects satisfying both; null when none do.</summary>
    public static IocBinding? And(IocBinding a, IocBinding b)
    {
        var result = new IocBinding { Nodes = IocBranch.Union(a.Nodes, b.Nodes) };
        foreach (var (document, objects) in a.Objects)
        {
            if (!b.Objects.TryGetValue(document, out var other))
            {
                result.Objects[document] = objects;
                continue;
            }
            var (small, large) = objects.Count <= other.Count ? (objects, other) : (other, objects);
            var both = new Dictionary<int, int[]>();
            foreach (var (index, branch) in small)
            {
                if (large.TryGetValue(index, out var otherBranch))
                {
                    both[index] = IocBranch.Union(branch, otherBranch);
                }
            }
            if (both.Count == 0)
            {
                return null;
            }
            result.Objects[document] = both;
        }
        foreach (var (document, objects) in b.Objects)
        {
            result.Objects.TryAdd(document, objects);
        }
        return result;
    }

    /// <summary>Merges another alternative on the same item types into this one (either holds).</summary>
    public void Merge(IocBinding other)
    {
        Nodes = IocBranch.Union(Nodes, other.Nodes);
        foreach (var (document, objects) in other.Objects)
        {
            if (!Objects.TryGetValue(document, out var mine))
            {
                Objects[document] = objects;
                continue;
            }
            var merged = new Dictionary<int, int[]>(mine);
            foreach (var (index, branch) in objects)
            {
                merged[index] = merged.TryGetValue(index, out var existing) ? IocBranch.Union(existing, branch) : branch;
            }
            Objects[document] = merged;
        }
    }

    /// <summary>Alternatives constraining the same item types merged into one, so their number stays small.</summary>
    public static List<IocBinding> Normalize(IEnumerable<IocBinding> alternatives)
    {
        var byKey = new Dictionary<string, IocBinding>(StringComparer.Ordinal);
        foreach (var alternative in alternatives)
        {
            var key = alternative.Key;
            if (byKey.TryGetValue(key, out var existing))
            {
                existing.Merge(alternative);
            }
            else
            {
                byKey[key] = alternative.Copy();
            }
        }
        return [.. byKey.Values];
    }

    public IocBinding Copy()
    {
        var copy = new IocBinding { Nodes = Nodes };
        foreach (var (document, objects) in Objects)
        {
            copy.Objects[document] = objects;
        }
        return copy;
    }
}
