using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// The kernel-side record of each exec (Bpf/exec_capture.bpf.c on the sched_process_exec tracepoint): arguments,
/// environment, executable, working directory and IDs as they were at the exec. The connector reader reads it for a
/// process that is gone from /proc before it could look, so a program that lives a few microseconds still has its
/// command line. Loading needs root (CAP_BPF and CAP_PERFMON), a kernel with BTF and libbpf; without them the sensor
/// works from /proc alone.
/// </summary>
internal sealed unsafe class ExecCapture : IDisposable
{
    /// <summary>Where the build puts the compiled program, beside the agent's assemblies.</summary>
    public static readonly string DefaultObjectPath = Path.Combine(AppContext.BaseDirectory, "bpf", "exec_capture.bpf.o");

    // struct exec_record in exec_capture.bpf.c (flag 1, arguments cut at their room, needs no handling: a cut command
    // line is still the start of the real one).
    private const int ArgsRoom = 4096;
    private const int EnvRoom = 4096;
    private const int ExeRoom = 256;
    private const int CwdRoom = 1024 + 256;
    private const int HeaderSize = 48;
    private const int ArgsOffset = HeaderSize;
    private const int EnvOffset = ArgsOffset + ArgsRoom;
    private const int ExeOffset = EnvOffset + EnvRoom;
    private const int CwdOffset = ExeOffset + ExeRoom;
    public const int RecordSize = CwdOffset + CwdRoom;
    private const uint EnvCut = 2;
    private const uint CwdCut = 4;

    /// <summary>A record older than this before the connector's exec event belongs to an earlier exec of the PID.</summary>
    private const long MaxAgeNs = 1_000_000_000;

    private static readonly Lock s_printLock = new();
    private static StringBuilder? s_messages;

    private readonly nint _object;
    private readonly nint _link;
    private readonly int _mapFd;

    private ExecCapture(nint bpfObject, nint link, int mapFd)
    {
        _object = bpfObject;
        _link = link;
        _mapFd = mapFd;
    }

    /// <summary>Loads and attaches the program; null with the reason (libbpf's own messages included) when it cannot.</summary>
    public static ExecCapture? TryLoad(string objectPath, out string? error)
    {
        if (!File.Exists(objectPath))
        {
            error = $"the BPF object {objectPath} is missing (the agent was built without clang)";
            return null;
        }
        lock (s_printLock)
        {
            s_messages = new StringBuilder();
            try
            {
                return Load(objectPath, out error);
            }
            catch (DllNotFoundException)
            {
                error = "libbpf.so.1 is not installed (Debian package libbpf1)";
                return null;
            }
            finally
            {
                s_messages = null;
            }
        }
    }

    private static ExecCapture? Load(string objectPath, out string? error)
    {
        LibBpf.SetPrint(&Print);
        var bpfObject = LibBpf.ObjectOpenFile(objectPath, 0);
        if (bpfObject == 0)
        {
            error = Failure($"opening {objectPath} failed", Marshal.GetLastPInvokeError());
            return null;
        }
        var loaded = LibBpf.ObjectLoad(bpfObject);
        if (loaded != 0)
        {
            LibBpf.ObjectClose(bpfObject);
            error = Failure("the kernel refused the exec-capture program", -loaded);
            return null;
        }
        var program = LibBpf.FindProgramByName(bpfObject, "osprey_exec");
        var map = LibBpf.FindMapByName(bpfObject, "exec_records");
        var link = program == 0 ? 0 : LibBpf.ProgramAttach(program);
        if (link == 0 || map == 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibBpf.ObjectClose(bpfObject);
            error = Failure("attaching the exec-capture program to sched_process_exec failed", errno);
            return null;
        }
        error = null;
        return new ExecCapture(bpfObject, link, LibBpf.MapFd(map));
    }

    private static string Failure(string what, int errno)
    {
        var reason = errno switch
        {
            Errno.EPERM or Errno.EACCES => " (it needs root: CAP_BPF and CAP_PERFMON)",
            Errno.ENOENT => " (no kernel BTF at /sys/kernel/btf/vmlinux, or no such tracepoint)",
            _ => errno > 0 ? $" (errno {errno})" : "",
        };
        var messages = s_messages?.ToString().Trim();
        return what + reason + (string.IsNullOrEmpty(messages) ? "" : ": " + messages);
    }

    [UnmanagedCallersOnly]
    private static int Print(int level, byte* format, nint arguments)
    {
        // Warnings and errors only (0 = LIBBPF_WARN, 1 = LIBBPF_INFO, 2 = LIBBPF_DEBUG), kept for the load error.
        if (level != 0 || s_messages is not { } messages || messages.Length > 4096)
        {
            return 0;
        }
        var buffer = stackalloc byte[512];
        var length = LibBpf.VsnPrintf(buffer, 512, format, arguments);
        if (length > 0)
        {
            messages.Append(Encoding.UTF8.GetString(buffer, Math.Min(length, 511)).TrimEnd()).Append("; ");
        }
        return 0;
    }

    /// <summary>
    /// Copies the record of <paramref name="pid"/>'s exec at <paramref name="execTimestampNs"/> (CLOCK_MONOTONIC, the
    /// connector's timestamp) into <paramref name="record"/>; false when there is none, or only one of another exec.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRead(int pid, long execTimestampNs, Span<byte> record)
    {
        if (record.Length < RecordSize)
        {
            throw new ArgumentException($"a record needs {RecordSize} bytes", nameof(record));
        }
        var key = (uint)pid;
        fixed (byte* value = record)
        {
            if (LibBpf.MapLookupElement(_mapFd, &key, value) != 0)
            {
                return false;
            }
        }
        var at = (long)BinaryPrimitives.ReadUInt64LittleEndian(record);
        return at <= execTimestampNs && execTimestampNs - at <= MaxAgeNs;
    }

    /// <summary>Real, real group, effective and effective group IDs at the exec.</summary>
    public static (uint Uid, uint Gid, uint Euid, uint Egid) Ids(ReadOnlySpan<byte> record) => (
        BinaryPrimitives.ReadUInt32LittleEndian(record[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(record[12..]),
        BinaryPrimitives.ReadUInt32LittleEndian(record[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(record[20..]));

    /// <summary>The arguments, NUL-separated as /proc/PID/cmdline (cut at 4 KiB).</summary>
    public static ReadOnlySpan<byte> Arguments(ReadOnlySpan<byte> record) => record.Slice(ArgsOffset, Length(record, 24, ArgsRoom));

    /// <summary>The environment as /proc/PID/environ.</summary>
    public static ReadOnlySpan<byte> Environment(ReadOnlySpan<byte> record) => record.Slice(EnvOffset, Length(record, 28, EnvRoom));

    /// <summary>Whether the environment was longer than the record's room (and so is not known whole).</summary>
    public static bool EnvironmentCut(ReadOnlySpan<byte> record) => (Flags(record) & EnvCut) != 0;

    /// <summary>The program executed (the interpreter of a script) as the exec named it, without its NUL.</summary>
    public static ReadOnlySpan<byte> Executable(ReadOnlySpan<byte> record)
    {
        var length = Length(record, 32, ExeRoom);
        return length > 0 ? record.Slice(ExeOffset, length - 1) : [];
    }

    /// <summary>
    /// Writes the working directory (absolute, from the leaf-first names the program collected) into
    /// <paramref name="destination"/>; -1 when it was not collected whole or does not fit.
    /// </summary>
    public static int WorkingDirectory(ReadOnlySpan<byte> record, Span<byte> destination)
    {
        if ((Flags(record) & CwdCut) != 0)
        {
            return -1;
        }
        var names = record.Slice(CwdOffset, Length(record, 36, CwdRoom));
        if (names.IsEmpty)
        {
            if (destination.IsEmpty)
            {
                return -1;
            }
            destination[0] = (byte)'/';
            return 1;
        }
        if (names.Length > destination.Length)
        {
            return -1; // each NUL becomes a slash: the path is as long as the names
        }
        // Leaf first, each NUL-terminated: written backwards, each preceded by a slash.
        var end = names.Length;
        var written = 0;
        while (end > 0)
        {
            var start = names[..(end - 1)].LastIndexOf((byte)0) + 1;
            var name = names[start..(end - 1)];
            destination[written++] = (byte)'/';
            name.CopyTo(destination[written..]);
            written += name.Length;
            end = start;
        }
        return written;
    }

    private static uint Flags(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt32LittleEndian(record[40..]);

    private static int Length(ReadOnlySpan<byte> record, int offset, int room) =>
        (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(record[offset..]), (uint)room);

    public void Dispose()
    {
        LibBpf.LinkDestroy(_link);
        LibBpf.ObjectClose(_object);
    }
}
