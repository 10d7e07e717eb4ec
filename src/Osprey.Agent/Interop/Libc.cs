using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>The few libc calls .NET does not expose: statx (inode, device, birth time, attributes), sysconf.</summary>
internal static partial class Libc
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStatsAndBirthTime = 0xfff;
    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static unsafe partial int StatxNative(int dirfd, byte* path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    public static uint EffectiveUserId() => GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    private static partial long Sysconf(int name);

    /// <summary>Kernel clock ticks per second (the unit of /proc/PID/stat start times).</summary>
    public static long ClockTicksPerSecond { get; } = Math.Max(1, Sysconf(ScClkTck));

    /// <summary>Status of a path (links not followed when <paramref name="followLinks"/> is false); null with the errno when it fails.</summary>
    public static FileStatus? Stat(string path, bool followLinks, out int errno)
    {
        var rc = StatxNative(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStatsAndBirthTime, out var buffer);
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        return rc == 0 ? FileStatus.From(buffer) : null;
    }

    /// <summary>
    /// Device, inode, link count, owner and mode of a path, links not followed, with nothing allocated (the prevention
    /// engine walks a program's directories with it); false with the errno when it fails.
    /// </summary>
    public static bool TryStatOwner(string path, out PathOwner owner, out int errno)
    {
        const uint typeModeLinksUidInode = 0x1 | 0x2 | 0x4 | 0x8 | 0x100;
        int rc;
        do
        {
            rc = StatxNative(AtFdCwd, path, AtSymlinkNoFollow, typeModeLinksUidInode, out var buffer);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            owner = rc == 0 ? new PathOwner(((ulong)buffer.DeviceMajor << 32) | buffer.DeviceMinor, buffer.Inode, buffer.Nlink, buffer.Uid, buffer.Mode) : default;
        }
        while (errno == Errno.EINTR);
        return rc == 0;
    }

    /// <summary>Status of a NUL-terminated path relative to an open directory; null with the errno when it fails.</summary>
    public static unsafe FileStatus? StatAt(int directory, ReadOnlySpan<byte> nulTerminatedPath, bool followLinks, out int errno)
    {
        fixed (byte* path = nulTerminatedPath)
        {
            var rc = StatxNative(directory, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStatsAndBirthTime, out var buffer);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            return rc == 0 ? FileStatus.From(buffer) : null;
        }
    }

    /// <summary>Status of an open file descriptor.</summary>
    public static FileStatus? Stat(SafeHandle file, out int errno)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            var rc = StatxNative((int)file.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStatsAndBirthTime, out var buffer);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            return rc == 0 ? FileStatus.From(buffer) : null;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        [FieldOffset(0)] public uint Mask;
        [FieldOffset(8)] public ulong Attributes;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(64)] public long AccessSeconds;
        [FieldOffset(72)] public uint AccessNanoseconds;
        [FieldOffset(80)] public long BirthSeconds;
        [FieldOffset(88)] public uint BirthNanoseconds;
        [FieldOffset(96)] public long ChangeSeconds;
        [FieldOffset(104)] public uint ChangeNanoseconds;
        [FieldOffset(112)] public long ModifySeconds;
        [FieldOffset(120)] public uint ModifyNanoseconds;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }
}

/// <summary>What statx reports about a file. Times are Unix microseconds; BirthUs is 0 where the filesystem does not keep it.</summary>
public sealed record FileStatus(
    ulong Device, ulong Inode, uint Mode, uint Uid, uint Gid, long Size, uint LinkCount,
    long AccessUs, long ModifyUs, long ChangeUs, long BirthUs, long ModifyNs, IReadOnlyList<string> Attributes)
{
    private const uint StatxBirthTimeMask = 0x800;

    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymbolicLink => (Mode & 0xF000) == 0xA000;

    /// <summary>"regular", "directory", "symlink", "socket", "fifo", "block-device", "char-device".</summary>
    public string FileType => (Mode & 0xF000) switch
    {
        0x8000 => "regular",
        0x4000 => "directory",
        0xA000 => "symlink",
        0xC000 => "socket",
        0x1000 => "fifo",
        0x6000 => "block-device",
        0x2000 => "char-device",
        _ => "unknown",
    };

    internal static FileStatus From(in Libc.StatxBuffer b) => new(
        ((ulong)b.DeviceMajor << 32) | b.DeviceMinor, b.Inode, b.Mode, b.Uid, b.Gid, (long)b.Size, b.Nlink,
        Us(b.AccessSeconds, b.AccessNanoseconds), Us(b.ModifySeconds, b.ModifyNanoseconds), Us(b.ChangeSeconds, b.ChangeNanoseconds),
        (b.Mask & StatxBirthTimeMask) != 0 ? Us(b.BirthSeconds, b.BirthNanoseconds) : 0,
        b.ModifySeconds * 1_000_000_000 + b.ModifyNanoseconds,
        AttributeNames(b.Attributes, b.Mode));

    private static long Us(long seconds, uint nanoseconds) => seconds * 1_000_000 + nanoseconds / 1000;

    private static readonly (ulong Bit, string Name)[] StatxAttributes =
    [
        (0x4, "compressed"), (0x10, "immutable"), (0x20, "append-only"), (0x40, "nodump"), (0x800, "encrypted"), (0x100000, "verity"),
    ];

    private static readonly (uint Bit, string Name)[] ModeAttributes = [(0x800, "setuid"), (0x400, "setgid"), (0x200, "sticky")];

    private const ulong StatxAttributeBits = 0x4 | 0x10 | 0x20 | 0x40 | 0x800 | 0x100000;
    private const uint ModeAttributeBits = 0x800 | 0x400 | 0x200;

    // Every stat builds one: most files have none of these, and they share the empty list.
    private static IReadOnlyList<string> AttributeNames(ulong attributes, uint mode) =>
        (attributes & StatxAttributeBits) == 0 && (mode & ModeAttributeBits) == 0
            ? []
            :
            [
                .. StatxAttributes.Where(a => (attributes & a.Bit) != 0).Select(a => a.Name),
                .. ModeAttributes.Where(a => (mode & a.Bit) != 0).Select(a => a.Name),
            ];
}
