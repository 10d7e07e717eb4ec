namespace Osprey.Agent.Sensors.HostState;

/// <summary>What one round of inotify reading found: paths to re-read and directories to rescan as a whole.</summary>
internal sealed class WatchBatch
{
    /// <summary>Files (of directory or file targets) that were created, written, replaced or deleted.</summary>
    public HashSet<string> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>Directory targets whose whole content must be compared again (newly watched, gone, or events lost).</summary>
    public HashSet<string> Directories { get; } = new(StringComparer.Ordinal);

    /// <summary>The kernel's inotify queue overflowed: events were lost.</summary>
    public bool Overflowed { get; set; }

    /// <summary>So many files changed that every target is compared instead; further records add nothing.</summary>
    public bool Saturated { get; set; }

    public void Clear()
    {
        Paths.Clear();
        Directories.Clear();
        Overflowed = false;
        Saturated = false;
    }
}
