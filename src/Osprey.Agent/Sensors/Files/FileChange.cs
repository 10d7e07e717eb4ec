using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Sensors.Files;

internal enum FileChangeKind
{
    Create,
    CloseWrite,
    Delete,
    Rename,
}

/// <summary>One change the reader resolved (path, acting process) and hands to the processor, in kernel order.</summary>
internal sealed record FileChange
{
    public required FileChangeKind Kind { get; init; }

    /// <summary>The path now (for a rename: the new path).</summary>
    public required string Path { get; init; }

    /// <summary>A rename's previous path.</summary>
    public string? OldPath { get; init; }

    /// <summary>The kernel flagged the object as a directory (FAN_ONDIR).</summary>
    public bool IsDirectory { get; init; }

    /// <summary>A create whose close-after-write arrived in the same (merged) event: its content is complete.</summary>
    public bool Written { get; init; }

    /// <summary>fsid and file handle of the object itself; identifies it across renames and lets it be opened race-free.</summary>
    public required byte[] Key { get; init; }

    /// <summary>The filesystem the key is relative to; null when the object can only be reached by path.</summary>
    public WatchedFilesystem? Filesystem { get; init; }

    public int Pid { get; init; }

    /// <summary>The acting process, read while the event was fresh; null when it had already gone.</summary>
    public ProcessInfo? Process { get; init; }

    /// <summary>When the agent read the event (fanotify does not timestamp events), Unix microseconds.</summary>
    public long TimeUs { get; init; }
}
