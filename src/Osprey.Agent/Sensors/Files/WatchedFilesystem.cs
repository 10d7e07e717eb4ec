using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// A marked filesystem: its fsid (how events name it) and where it is mounted. No descriptor is kept open on it,
/// since one would make the filesystem busy and its unmount fail; <see cref="OpenMount"/> opens it when a handle
/// must be resolved and checks it is still the same filesystem.
/// </summary>
internal sealed class WatchedFilesystem(ulong fsid, MountEntry mount, bool directoryEvents)
{
    public ulong Fsid { get; } = fsid;

    public string MountPoint { get; } = mount.MountPoint;

    /// <summary>The subtree of the filesystem the mount shows ("/" unless it is a bind mount of a directory).</summary>
    public string MountRoot { get; } = mount.Root;

    public string FsType { get; } = mount.FsType;

    public (uint Major, uint Minor) Device { get; } = mount.Device;

    /// <summary>False when only a mount mark was possible, which carries no create, delete or rename events.</summary>
    public bool DirectoryEvents { get; } = directoryEvents;

    /// <summary>The mount point opened as open_by_handle_at's mount_fd; null (ESTALE) when it is now another filesystem.</summary>
    public SafeFileHandle? OpenMount(out int errno)
    {
        var handle = FileHandles.Open(MountPoint, FileHandles.OpenReadOnly | FileHandles.OpenDirectory | FileHandles.OpenNonBlocking, out errno);
        if (handle is not null && FileHandles.FilesystemId(handle, out _) != Fsid)
        {
            handle.Dispose();
            errno = Errno.ESTALE;
            return null;
        }
        return handle;
    }

    /// <summary>Opens an object of this filesystem by its struct file_handle.</summary>
    public SafeFileHandle? OpenByHandle(ReadOnlySpan<byte> fileHandle, int flags, out int errno)
    {
        using var mount = OpenMount(out errno);
        return mount is null ? null : FileHandles.OpenByHandle(mount, fileHandle, flags, out errno);
    }

    public override string ToString() => $"{MountPoint} ({FsType})";
}
