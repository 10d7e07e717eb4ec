using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// The file calls .NET does not expose on a descriptor: fchown, fchmod with the setuid/setgid/sticky bits, futimens,
/// fsync of a directory, and renameat2 without replacing. Each returns 0 or the errno; EINTR is retried.
/// </summary>
internal static unsafe partial class PosixFile
{
    private const uint RenameNoReplace = 1;

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownNative(SafeHandle fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodNative(SafeHandle fd, uint mode);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int FutimensNative(SafeHandle fd, Timespec* times);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(SafeHandle fd);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Renameat2Native(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    public static int Chown(SafeHandle fd, uint uid, uint gid) => Retry(() => FchownNative(fd, uid, gid));

    /// <summary>Sets all twelve permission bits (chown clears setuid and setgid, so this comes after it).</summary>
    public static int Chmod(SafeHandle fd, uint mode) => Retry(() => FchmodNative(fd, mode & 0xFFF));

    /// <summary>Sets access and modification times, Unix microseconds.</summary>
    public static int SetTimes(SafeHandle fd, long accessUs, long modifyUs)
    {
        var times = stackalloc Timespec[2];
        times[0] = Timespec.FromUs(accessUs);
        times[1] = Timespec.FromUs(modifyUs);
        return Retry(() => FutimensNative(fd, times));
    }

    public static int Fsync(SafeHandle fd) => Retry(() => FsyncNative(fd));

    /// <summary>fsync of a directory, so that a rename, create or unlink in it survives a crash.</summary>
    public static int FsyncDirectory(string directory)
    {
        using var handle = FileHandles.Open(directory, FileHandles.OpenReadOnly | FileHandles.OpenDirectory, out var errno);
        return handle is null ? errno : Fsync(handle);
    }

    /// <summary>rename(2); with <paramref name="replace"/> false it fails with EEXIST rather than replace what is there.</summary>
    public static int Rename(string from, string to, bool replace)
    {
        var errno = Retry(() => Renameat2Native(Libc.AtFdCwd, from, Libc.AtFdCwd, to, replace ? 0 : RenameNoReplace));
        if (errno == Errno.EINVAL && !replace)
        {
            // A filesystem without RENAME_NOREPLACE: link(2) fails on an existing name just as atomically.
            errno = Retry(() => LinkNative(from, to));
            if (errno == 0)
            {
                File.Delete(from);
            }
        }
        return errno;
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkNative(string from, string to);

    private static int Retry(Func<int> call)
    {
        while (true)
        {
            if (call() == 0)
            {
                return 0;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return errno;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;

        public static Timespec FromUs(long us) => new() { Seconds = Math.DivRem(us, 1_000_000, out var rest) - (rest < 0 ? 1 : 0), Nanoseconds = (rest < 0 ? rest + 1_000_000 : rest) * 1000 };
    }
}
