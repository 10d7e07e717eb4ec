using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Osprey.Agent.Interop;

/// <summary>
/// An open /proc/PID directory. Every read through it is of that one process (a PID reused meanwhile reads nothing
/// instead of the newcomer's files), and each open resolves one path component instead of three (/proc, the PID,
/// the file), which is most of the cost of a /proc read. Dispose closes it.
/// </summary>
internal unsafe ref partial struct ProcessDirectory
{
    private const int OReadOnly = 0;
    private const int ODirectory = 0x1_0000;
    private const int OCloexec = 0x80000;
    private int _fd;

    private ProcessDirectory(int fd) => _fd = fd;

    /// <summary>Whether the directory is open (the process existed when it was opened).</summary>
    public readonly bool IsOpen => _fd >= 0;

    /// <summary>Opens /proc/PID; check <see cref="IsOpen"/>.</summary>
    public static ProcessDirectory Open(int pid)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var length = ProcRead.FormatPath(path, pid, default);
        fixed (byte* p = path[..length])
        {
            return new ProcessDirectory(OpenAtRetrying(Libc.AtFdCwd, p, OReadOnly | ODirectory | OCloexec));
        }
    }

    /// <summary>Reads a file of the process into <paramref name="buffer"/> (see <see cref="ProcRead.ReadFile"/>); its length or -errno.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly int ReadFile(ReadOnlySpan<byte> nulTerminatedName, Span<byte> buffer, bool generatedWhole = false)
    {
        var fd = OpenFile(nulTerminatedName);
        if (fd < 0)
        {
            return fd;
        }
        try
        {
            return ProcRead.ReadToEnd(fd, buffer, generatedWhole);
        }
        finally
        {
            ProcRead.Close(fd);
        }
    }

    /// <summary>Reads a whole file of the process into a pooled buffer (see <see cref="ProcRead.ReadAll(int, ref byte[], int, bool)"/>); its length or -errno.</summary>
    public readonly int ReadAll(ReadOnlySpan<byte> nulTerminatedName, ref byte[] buffer, int limit, bool generatedWhole = false)
    {
        var fd = OpenFile(nulTerminatedName);
        if (fd < 0)
        {
            return fd;
        }
        try
        {
            return ProcRead.ReadAll(fd, ref buffer, limit, generatedWhole);
        }
        finally
        {
            ProcRead.Close(fd);
        }
    }

    /// <summary>The target of a link of the process (exe, cwd), not NUL-terminated and cut at the buffer's size; -errno when unreadable.</summary>
    public readonly int ReadLink(ReadOnlySpan<byte> nulTerminatedName, Span<byte> buffer)
    {
        if (_fd < 0)
        {
            return _fd;
        }
        fixed (byte* name = nulTerminatedName)
        fixed (byte* b = buffer)
        {
            var length = ReadLinkAt(_fd, name, b, (nuint)buffer.Length);
            return length < 0 ? -Marshal.GetLastPInvokeError() : (int)length;
        }
    }

    /// <summary>The status of what a name of the process leads to (for exe: the executable itself); null when it cannot be read.</summary>
    public readonly FileStatus? Stat(ReadOnlySpan<byte> nulTerminatedName) =>
        _fd < 0 ? null : Libc.StatAt(_fd, nulTerminatedName, followLinks: true, out _);

    /// <summary>Opens what a name of the process leads to for reading (for exe: the very file executed); null when it cannot.</summary>
    public readonly SafeFileHandle? OpenForReading(ReadOnlySpan<byte> nulTerminatedName)
    {
        var fd = OpenFile(nulTerminatedName);
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    public void Dispose()
    {
        if (_fd >= 0)
        {
            ProcRead.Close(_fd);
            _fd = -1;
        }
    }

    private readonly int OpenFile(ReadOnlySpan<byte> nulTerminatedName)
    {
        if (_fd < 0)
        {
            return _fd;
        }
        fixed (byte* name = nulTerminatedName)
        {
            return OpenAtRetrying(_fd, name, OReadOnly | OCloexec);
        }
    }

    private static int OpenAtRetrying(int directory, byte* path, int flags)
    {
        while (true)
        {
            var fd = OpenAt(directory, path, flags);
            if (fd >= 0)
            {
                return fd;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR)
            {
                return -errno;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int directory, byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true)]
    private static partial nint ReadLinkAt(int directory, byte* path, byte* buffer, nuint size);
}
