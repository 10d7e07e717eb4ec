namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Which units are enabled (a link in a *.wants, *.requires or *.upholds directory of /etc or /run) or masked
/// (linked to /dev/null there), from an index rebuilt after any of those directories changes.
/// </summary>
internal sealed class SystemdEnablement(IReadOnlyList<string> roots)
{
    private const int MaxEntries = 65_536;
    private static readonly string[] DependencySuffixes = [".wants", ".requires", ".upholds"];

    private HashSet<string>? _enabled;
    private HashSet<string>? _masked;

    public IReadOnlyList<string> Roots => roots;

    public static bool IsDependencyDirectoryName(string name) => DependencySuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal));

    /// <summary>The dependency directories that exist now under the roots.</summary>
    public IEnumerable<string> DependencyDirectories()
    {
        foreach (var root in roots)
        {
            List<string> found;
            try
            {
                found = [.. Directory.EnumerateDirectories(root).Where(d => IsDependencyDirectoryName(Path.GetFileName(d))).Take(1024)];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var directory in found)
            {
                yield return directory;
            }
        }
    }

    public void Invalidate()
    {
        _enabled = null;
        _masked = null;
    }

    /// <summary>"masked", "enabled", or null when neither (the unit file's [Install] section decides then).</summary>
    public string? StateOf(string unitName)
    {
        if (_enabled is null || _masked is null)
        {
            Build();
        }
        if (_masked!.Contains(unitName))
        {
            return "masked";
        }
        if (_enabled!.Contains(unitName))
        {
            return "enabled";
        }
        // A template ("getty@.service") is enabled through its instances ("getty@tty1.service").
        var at = unitName.IndexOf("@.", StringComparison.Ordinal);
        if (at > 0)
        {
            var prefix = unitName[..(at + 1)];
            var suffix = unitName[(at + 1)..];
            if (_enabled.Any(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(suffix, StringComparison.Ordinal)))
            {
                return "enabled";
            }
        }
        return null;
    }

    private void Build()
    {
        var enabled = new HashSet<string>(StringComparer.Ordinal);
        var masked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            try
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(root).Take(MaxEntries))
                {
                    if (new FileInfo(entry).LinkTarget == "/dev/null")
                    {
                        masked.Add(Path.GetFileName(entry));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        foreach (var directory in DependencyDirectories())
        {
            try
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Take(MaxEntries))
                {
                    enabled.Add(Path.GetFileName(entry));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        _enabled = enabled;
        _masked = masked;
    }
}
