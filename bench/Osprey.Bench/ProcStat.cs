using System.Globalization;
using Osprey.Bench.Interop;

namespace Osprey.Bench;

/// <summary>CPU time and memory of another process, from /proc/PID/stat and /proc/PID/status.</summary>
public static class ProcStat
{
    /// <summary>User plus system CPU seconds of every thread of the process so far.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // After "pid (comm) ", the comm may hold spaces; utime and stime are fields 14 and 15, so 11 and 12 after the state.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (double)ticks / Native.ClockTicksPerSecond;
    }

    /// <summary>CPU seconds so far of each live thread of the process, by thread ID, with the thread's name.</summary>
    public static Dictionary<int, (string Name, double CpuSeconds)> Threads(int pid)
    {
        var threads = new Dictionary<int, (string, double)>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], (double)ticks / Native.ClockTicksPerSecond);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return threads;
    }

    /// <summary>CPU seconds per thread name between two <see cref="Threads"/> snapshots, largest first.</summary>
    public static IEnumerable<(string Name, double CpuSeconds)> ThreadCpu(
        Dictionary<int, (string Name, double CpuSeconds)> before, Dictionary<int, (string Name, double CpuSeconds)> after) =>
        after.Select(t => (t.Value.Name, t.Value.CpuSeconds - (before.TryGetValue(t.Key, out var b) ? b.CpuSeconds : 0)))
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, g.Sum(t => t.Item2)))
            .OrderByDescending(t => t.Item2);

    /// <summary>A kB line of /proc/PID/status (VmRSS, VmHWM) in MiB (the figures' "MB").</summary>
    public static double StatusMegabytes(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kilobytes / 1024.0;
            }
        }
        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }
}
