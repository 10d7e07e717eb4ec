using Osprey.Detection.OpenIoc;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>
/// Where an indicator's FileItem terms can match. An AND with a direct child that pins the path — FullPath is an
/// absolute path, FilePath is an absolute directory, FullPath or FilePath starts-with an absolute directory, none
/// negated — binds every FileItem below it to that place (items of one item type in an AND bind one file), so only
/// that directory need be walked. Otherwise the indicator needs the configured roots.
/// </summary>
internal static class FileScope
{
    /// <summary>The directories the indicator's FileItem terms need; null when they need the configured roots.</summary>
    public static IReadOnlySet<WalkRoot>? Roots(IocNode node, IocTermCatalog terms, int maxDepth)
    {
        switch (node)
        {
            case IocItem item when IsFileTerm(item, terms):
                return Pin(item, maxDepth) is { } pinned ? new HashSet<WalkRoot> { pinned } : null;
            case IocItem:
                return new HashSet<WalkRoot>();
            case IocIndicator { Operator: IocOperator.And } and:
                var pins = and.Children.OfType<IocItem>().Where(i => IsFileTerm(i, terms)).Select(i => Pin(i, maxDepth)).OfType<WalkRoot>().ToList();
                if (pins.Count > 0)
                {
                    // Several pins in one AND: a file must satisfy all, so the narrowest (deepest path) is enough.
                    return new HashSet<WalkRoot> { pins.MaxBy(p => p.Path.Length) };
                }
                return Union(and.Children, terms, maxDepth);
            case IocIndicator or:
                return Union(or.Children, terms, maxDepth);
            default:
                return null;
        }
    }

    private static HashSet<WalkRoot>? Union(IReadOnlyList<IocNode> children, IocTermCatalog terms, int maxDepth)
    {
        var all = new HashSet<WalkRoot>();
        foreach (var child in children)
        {
            if (Roots(child, terms, maxDepth) is not { } roots)
            {
                return null;
            }
            all.UnionWith(roots);
        }
        return all;
    }

    private static bool IsFileTerm(IocItem item, IocTermCatalog terms) =>
        item.Document.Equals("FileItem", StringComparison.OrdinalIgnoreCase) && terms.IsKnown(item.Search);

    private static WalkRoot? Pin(IocItem item, int maxDepth)
    {
        if (item.Negate || !item.Content.StartsWith('/') || item.Content.Contains("/../", StringComparison.Ordinal) || item.Content.EndsWith("/..", StringComparison.Ordinal))
        {
            return null;
        }
        var term = item.Search[(item.Search.IndexOf('/', StringComparison.Ordinal) + 1)..].ToLowerInvariant();
        return (term, item.Condition) switch
        {
            ("fullpath", IocCondition.Is) => new WalkRoot(Parent(item.Content), 0),
            ("filepath", IocCondition.Is) => new WalkRoot(Trim(item.Content), 0),
            ("fullpath" or "filepath", IocCondition.StartsWith) => new WalkRoot(item.Content.EndsWith('/') ? Trim(item.Content) : Parent(item.Content), maxDepth),
            _ => null,
        };
    }

    private static string Parent(string path) => Path.GetDirectoryName(Trim(path)) ?? "/";

    private static string Trim(string path) => path.Length > 1 ? path.TrimEnd('/') is { Length: > 0 } t ? t : "/" : path;
}
