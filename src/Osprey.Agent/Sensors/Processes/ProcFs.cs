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
        var text = ReadText($"{Root}/{pid}/stat");
        return text is null ? null : ParseStat(text);
    }

    /// <summary>Parses /proc/PID/stat; comm is between the first '(' and the last ')', since it may hold both.</summary>
    public static ProcStat? ParseStat(string text)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); start time is field 22.
        if (fields.Length < 20 || !int.TryParse(text.AsSpan(0, open).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }
        return new ProcStat(
            pid, text[(open + 1)..close], fields[0][0], Int(fields[1]), Int(fields[2]), Int(fields[3]), Int(fields[4]),
            long.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    /// <summary>Real and effective user and group IDs from /proc/PID/status.</summary>
    public static (uint Uid, uint Euid, uint Gid, uint Egid)? ReadIds(int pid)
    {
        var text = ReadText($"{Root}/{pid}/status");
        if (text is null)
        {
            return null;
        }
        uint[]? uids = null, gids = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                uids = Ids(line);
            }
            else if (line.StartsWith("Gid:", StringComparison.Ordinal))
            {
                gids = Ids(line);
            }
        }
        return uids is [var uid, var euid, ..] && gids is [var gid, var egid, ..] ? (uid, euid, gid, egid) : null;

        static uint[] Ids(string line) =>
            [.. line[4..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries).Select(v => uint.Parse(v, CultureInfo.InvariantCulture))];
    }

    /// <summary>The argument vector (/proc/PID/cmdline split at NUL); empty for kernel threads.</summary>
    public static IReadOnlyList<string> ReadArguments(int pid) => SplitNul(ReadBytes($"{Root}/{pid}/cmdline"));

    public static IReadOnlyList<string> ReadEnvironment(int pid) => SplitNul(ReadBytes($"{Root}/{pid}/environ"));

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

    /// <summary>The audit login UID (/proc/PID/loginuid); null when unset (4294967295).</summary>
    public static uint? ReadLoginUid(int pid) =>
        ReadText($"{Root}/{pid}/loginuid") is { } text && uint.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue ? id : null;

    /// <summary>The audit session ID (/proc/PID/sessionid); null when unset.</summary>
    public static uint? ReadAuditSession(int pid) =>
        ReadText($"{Root}/{pid}/sessionid") is { } text && uint.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue ? id : null;

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

    /// <summary>
    /// The command line as one string: arguments joined by spaces, an argument holding a space, tab, quote or
    /// backslash (or empty) written in double quotes with \" and \\ escaped. Plain arguments appear verbatim.
    /// </summary>
    public static string JoinCommandLine(IReadOnlyList<string> arguments)
    {
        var builder = new StringBuilder();
        foreach (var argument in arguments)
        {
            if (builder.Length > 0)
            {
                builder.Append(' ');
            }
            if (argument.Length > 0 && argument.AsSpan().IndexOfAny(" \t\n\"\\") < 0)
            {
                builder.Append(argument);
                continue;
            }
            builder.Append('"');
            foreach (var c in argument)
            {
                if (c is '"' or '\\')
                {
                    builder.Append('\\');
                }
                builder.Append(c);
            }
            builder.Append('"');
        }
        return builder.ToString();
    }

    internal static string? ReadText(string path)
    {
        var bytes = ReadBytes(path);
        return bytes.Length == 0 ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Reads a /proc file (their reported size is 0, so read until end); empty when it cannot be read.</summary>
    internal static byte[] ReadBytes(string path, int limit = 1 << 20)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[4096];
            var length = 0;
            int read;
            while ((read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    if (length >= limit)
                    {
                        break;
                    }
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit));
                }
            }
            return buffer.AsSpan(0, length).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static List<string> SplitNul(byte[] bytes)
    {
        var parts = new List<string>();
        var span = bytes.AsSpan();
        while (span.Length > 0)
        {
            var end = span.IndexOf((byte)0);
            var part = end < 0 ? span : span[..end];
            parts.Add(Encoding.UTF8.GetString(part));
            span = end < 0 ? [] : span[(end + 1)..];
        }
        return parts;
    }

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    /// <summary>Unix microseconds at which a process started, from its start ticks.</summary>
    public static long StartTimeUs(long bootTimeUs, long startTicks) => bootTimeUs + startTicks * 1_000_000 / Libc.ClockTicksPerSecond;
}
