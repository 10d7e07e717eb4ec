using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Fields of /proc/PID/stat that the agent uses.</summary>
public sealed record ProcStat(int Pid, string Comm, char State, int ParentPid, int ProcessGroup, int Session, int TtyNumber, long StartTicks);

/// <summary>Readers for /proc: each returns null (or empty) when the process is gone or the file cannot be read.</summary>
public static class ProcFs
{
    public const string Root = "/proc";
    private const int StatCapacity = 2048;

    /// <summary>This boot's ID (/proc/sys/kernel/random/boot_id).</summary>
    public static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    /// <summary>Boot time from the btime line of /proc/stat, in Unix microseconds.</summary>
    public static long BootTimeUs()
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture) * 1_000_000;
            }
        }
        throw new IOException("/proc/stat has no btime line");
    }

    public static ProcStat? ReadStat(int pid)
    {
        // Read on every exec and every table lookup: parsed from a stack buffer, so only the record and comm are allocated.
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        Span<byte> stat = stackalloc byte[StatCapacity];
        var length = ProcRead.ReadFile(path[..ProcRead.FormatPath(path, pid, "stat"u8)], stat, generatedWhole: true);
        return length <= 0 ? null : ParseStat(stat[..length]);
    }

    /// <summary>/proc/PID/stat through an open process directory.</summary>
    internal static ProcStat? ReadStat(in ProcessDirectory process)
    {
        Span<byte> stat = stackalloc byte[StatCapacity];
        var length = process.ReadFile("stat\0"u8, stat, generatedWhole: true);
        return length <= 0 ? null : ParseStat(stat[..length]);
    }

    /// <summary>Parses /proc/PID/stat; comm is between the first '(' and the last ')', since it may hold both.</summary>
    public static ProcStat? ParseStat(string text) => ParseStat(Encoding.UTF8.GetBytes(text));

    /// <summary>Parses the bytes of /proc/PID/stat; null when they are malformed.</summary>
    public static ProcStat? ParseStat(ReadOnlySpan<byte> text)
    {
        var open = text.IndexOf((byte)'(');
        var close = text.LastIndexOf((byte)')');
        if (open < 0 || close < open || close + 2 > text.Length || !Utf8Parser.TryParse(text[..open].Trim((byte)' '), out int pid, out _))
        {
            return null;
        }
        // Field 3 (state) is index 0 after the comm; start time (field 22) is index 19.
        var rest = text[(close + 2)..];
        var state = '\0';
        int parent = 0, group = 0, session = 0, tty = 0;
        for (var index = 0; ; index++)
        {
            var space = rest.IndexOf((byte)' ');
            var field = space < 0 ? rest.TrimEnd((byte)'\n') : rest[..space];
            if (index == 19)
            {
                return Utf8Parser.TryParse(field, out long startTicks, out _) && state != '\0'
                    ? new ProcStat(pid, Encoding.UTF8.GetString(text[(open + 1)..close]), state, parent, group, session, tty, startTicks)
                    : null;
            }
            var ok = index switch
            {
                0 => field.Length > 0,
                1 => Utf8Parser.TryParse(field, out parent, out _),
                2 => Utf8Parser.TryParse(field, out group, out _),
                3 => Utf8Parser.TryParse(field, out session, out _),
                4 => Utf8Parser.TryParse(field, out tty, out _),
                _ => true,
            };
            if (!ok || space < 0)
            {
                return null;
            }
            if (index == 0)
            {
                state = (char)field[0];
            }
            rest = rest[(space + 1)..];
        }
    }

    /// <summary>Real and effective user and group IDs from /proc/PID/status.</summary>
    public static (uint Uid, uint Euid, uint Gid, uint Egid)? ReadIds(int pid)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = ProcRead.ReadAll(path[..ProcRead.FormatPath(path, pid, "status"u8)], ref buffer, 1 << 20);
            return length <= 0 ? null : ParseIds(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The IDs from /proc/PID/status through an open process directory.</summary>
    internal static (uint Uid, uint Euid, uint Gid, uint Egid)? ReadIds(in ProcessDirectory process)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = process.ReadAll("status\0"u8, ref buffer, 1 << 20, generatedWhole: true);
            return length <= 0 ? null : ParseIds(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Real and effective user and group IDs from the text of /proc/PID/status; null when a line is missing.</summary>
    public static (uint Uid, uint Euid, uint Gid, uint Egid)? ParseIds(ReadOnlySpan<byte> text)
    {
        (uint Real, uint Effective)? uids = null, gids = null;
        while (!text.IsEmpty && (uids is null || gids is null))
        {
            var end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            if (line.StartsWith("Uid:"u8))
            {
                uids = Ids(line[4..]);
            }
            else if (line.StartsWith("Gid:"u8))
            {
                gids = Ids(line[4..]);
            }
            text = end < 0 ? [] : text[(end + 1)..];
        }
        return uids is { } u && gids is { } g ? (u.Real, u.Effective, g.Real, g.Effective) : null;

        // "\t0\t0\t0\t0": real, effective, saved, filesystem.
        static (uint Real, uint Effective)? Ids(ReadOnlySpan<byte> values)
        {
            values = values.TrimStart("\t "u8);
            if (!Utf8Parser.TryParse(values, out uint real, out var used))
            {
                return null;
            }
            values = values[used..].TrimStart("\t "u8);
            return Utf8Parser.TryParse(values, out uint effective, out _) ? (real, effective) : null;
        }
    }

    /// <summary>The argument vector (/proc/PID/cmdline split at NUL); empty for kernel threads.</summary>
    public static IReadOnlyList<string> ReadArguments(int pid) => ReadNulSeparated(pid, "cmdline"u8);

    /// <summary>A NUL-separated file (cmdline, environ) through an open process directory.</summary>
    internal static List<string> ReadNulSeparated(in ProcessDirectory process, ReadOnlySpan<byte> nulTerminatedName)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = process.ReadAll(nulTerminatedName, ref buffer, 1 << 20);
            return SplitNul(buffer.AsSpan(0, Math.Max(length, 0)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The target of a link of the process (exe, cwd); null when it cannot be read.</summary>
    internal static string? ReadLink(in ProcessDirectory process, ReadOnlySpan<byte> nulTerminatedName)
    {
        // PATH_MAX: a longer target is cut, and the kernel does not produce one.
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = process.ReadLink(nulTerminatedName, buffer);
            return length <= 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>/proc/PID/loginuid or /proc/PID/sessionid through an open process directory; null when unset (4294967295) or unreadable.</summary>
    internal static uint? ReadAuditId(in ProcessDirectory process, ReadOnlySpan<byte> nulTerminatedName)
    {
        Span<byte> text = stackalloc byte[32];
        var length = process.ReadFile(nulTerminatedName, text, generatedWhole: true);
        return length > 0 && Utf8Parser.TryParse(text[..length].Trim("\n "u8), out uint id, out _) && id != uint.MaxValue ? id : null;
    }

    /// <summary>A NUL-separated /proc file as strings, read through a pooled buffer (up to 1 MiB).</summary>
    private static List<string> ReadNulSeparated(int pid, ReadOnlySpan<byte> leaf)
    {
        Span<byte> path = stackalloc byte[ProcRead.PathCapacity];
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var length = ProcRead.ReadAll(path[..ProcRead.FormatPath(path, pid, leaf)], ref buffer, 1 << 20);
            return SplitNul(buffer.AsSpan(0, Math.Max(length, 0)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every numeric entry of /proc.</summary>
    public static IEnumerable<int> ListPids()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            if (int.TryParse(Path.GetFileName(dir.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>NUL-separated bytes (cmdline, environ) as strings; a trailing NUL ends the last one.</summary>
    internal static List<string> SplitNul(ReadOnlySpan<byte> span)
    {
        var parts = new List<string>();
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)0);
            var part = end < 0 ? span : span[..end];
            parts.Add(Encoding.UTF8.GetString(part));
            span = end < 0 ? [] : span[(end + 1)..];
        }
        return parts;
    }

    /// <summary>Unix microseconds at which a process started, from its start ticks.</summary>
    public static long StartTimeUs(long bootTimeUs, long startTicks) => bootTimeUs + startTicks * 1_000_000 / Libc.ClockTicksPerSecond;
}
