using System.Buffers.Binary;

namespace Osprey.Agent.Sensors.Files;

/// <summary>
/// One fanotify event as it lies in the read buffer: the metadata and the file identifiers and names of its
/// info records. Every span points into the buffer, so it is valid only until the next read.
/// </summary>
internal readonly ref struct FanotifyEvent
{
    public ulong Mask { get; init; }

    /// <summary>The event's file descriptor; FAN_NOFD in FID mode, but closed by the reader whatever it is.</summary>
    public int Fd { get; init; }

    /// <summary>The acting process (thread-group ID).</summary>
    public int Pid { get; init; }

    /// <summary>A pidfd record's descriptor, or -1 when there is none.</summary>
    public int PidFd { get; init; }

    /// <summary>The object itself (FAN_EVENT_INFO_TYPE_FID): with FAN_REPORT_TARGET_FID also the created, deleted or renamed child.</summary>
    public FanotifyFid Object { get; init; }

    /// <summary>The parent directory (FAN_EVENT_INFO_TYPE_DFID_NAME or DFID).</summary>
    public FanotifyFid Directory { get; init; }

    /// <summary>The entry name within <see cref="Directory"/>, UTF-8 without the terminating NUL; empty when not reported.</summary>
    public ReadOnlySpan<byte> Name { get; init; }

    /// <summary>FAN_RENAME: where the entry was (OLD_DFID_NAME).</summary>
    public FanotifyFid OldDirectory { get; init; }

    public ReadOnlySpan<byte> OldName { get; init; }

    /// <summary>FAN_RENAME: where the entry is now (NEW_DFID_NAME).</summary>
    public FanotifyFid NewDirectory { get; init; }

    public ReadOnlySpan<byte> NewName { get; init; }
}

/// <summary>
/// A file identifier from an info record: the filesystem ID followed by the kernel's struct file_handle
/// (handle_bytes, handle_type, f_handle). Together they name one inode for as long as it exists.
/// </summary>
internal readonly ref struct FanotifyFid(ReadOnlySpan<byte> key)
{
    /// <summary>fsid (8 bytes) and struct file_handle, exactly as reported: the identity used as a dictionary key.</summary>
    public ReadOnlySpan<byte> Key { get; } = key;

    public bool IsPresent => Key.Length >= 16;

    /// <summary>The fsid as fstatfs reports it (two 32-bit words read as one little-endian 64-bit value).</summary>
    public ulong Fsid => BinaryPrimitives.ReadUInt64LittleEndian(Key);

    /// <summary>The struct file_handle that open_by_handle_at takes.</summary>
    public ReadOnlySpan<byte> FileHandle => Key[8..];
}
