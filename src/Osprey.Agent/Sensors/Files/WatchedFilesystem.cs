using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Sensors.Files;

/// <summary>A marked filesystem: its fsid (how events name it) and an open directory on it that handles are resolved against.</summary>
internal sealed class WatchedFilesystem(ulong fsid, MountEntry mount, SafeFileHandle mountHandle, bool directoryEvents) : IDisposable
{
    public ulong Fsid { get; } = fsid;

    public string MountPoint { get; } = mount.MountPoint;

    /// <summary>The subtree of the filesystem the mount shows ("/" unless it is a bind mount of a directory).</summary>
    public string MountRoot { get; } = mount.Root;

    public string FsType { get; } = mount.FsType;

    /// <summary>An O_RDONLY descriptor of the mount point: the mount_fd of open_by_handle_at.</summary>
    public SafeFileHandle Mount { get; } = mountHandle;

    /// <summary>False when only a mount mark was possible, which carries no create, delete or rename events.</summary>
    public bool DirectoryEvents { get; } = directoryEvents;

    public override string ToString() => $"{MountPoint} ({FsType})";

    public void Dispose() => Mount.Dispose();
}
