namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// Which paths the file sensor records: those under a configured path and under no excluded one. Paths are
/// compared as whole components ("/tmp/a" covers "/tmp/a/b", not "/tmp/ab"), ordinally, as the kernel spells them.
/// </summary>
internal sealed class PathFilter
{
    public PathFilter(IEnumerable<string> included, IEnumerable<string> excluded)
    {
        Included = [.. included.Select(Normalize).Distinct(StringComparer.Ordinal)];
        Excluded = [.. excluded.Select(Normalize).Distinct(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Included { get; }

    public IReadOnlyList<string> Excluded { get; }

    public bool Includes(string path)
    {
        var included = false;
        foreach (var root in Included)
        {
            if (IsUnder(path, root))
            {
                included = true;
                break;
            }
        }
        if (!included)
        {
            return false;
        }
        foreach (var root in Excluded)
        {
            if (IsUnder(path, root))
            {
                return false;
            }
        }
        return true;
    }

    public bool IsExcluded(string path)
    {
        foreach (var root in Excluded)
        {
            if (IsUnder(path, root))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it.</summary>
    public static bool IsUnder(string path, string root) =>
        root == "/"
            ? path.StartsWith('/')
            : path.StartsWith(root, StringComparison.Ordinal) && (path.Length == root.Length || path[root.Length] == '/');

    /// <summary>Absolute, without a trailing slash (except "/"), without "." and ".." components.</summary>
    public static string Normalize(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
