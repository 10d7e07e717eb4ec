using System.Globalization;
using Osprey.Agent.Configuration;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Hosting;

/// <summary>
/// Watches the agent's own CPU time and resident memory; when either stays above its limit the agent stops
/// itself cleanly with <see cref="ExitCode"/>, and the service manager starts it again.
/// </summary>
public sealed class Watchdog(WatchdogSettings settings, TimeProvider time)
{
    /// <summary>EX_TEMPFAIL: the unit restarts the agent on it.</summary>
    public const int ExitCode = 75;
    private static readonly TimeSpan Sample = TimeSpan.FromSeconds(2);

    /// <summary>Why the watchdog fired; null while the agent is within its limits.</summary>
    public string? Reason { get; private set; }

    public double LastCpuPercent { get; private set; }

    public long LastRssBytes { get; private set; }

    /// <summary>Samples until a limit is exceeded (then returns with <see cref="Reason"/> set) or until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var window = new Queue<(DateTimeOffset At, double CpuSeconds)>();
        using var timer = new PeriodicTimer(Sample, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var now = time.GetUtcNow();
            var (cpu, rss) = ReadSelf();
            window.Enqueue((now, cpu));
            while (window.Count > 1 && now - window.Peek().At > TimeSpan.FromSeconds(settings.WindowSeconds))
            {
                window.Dequeue();
            }
            LastRssBytes = rss;
            var oldest = window.Peek();
            var span = (now - oldest.At).TotalSeconds;
            LastCpuPercent = span > 0 ? 100 * (cpu - oldest.CpuSeconds) / span : 0;
            if (rss > (long)settings.MaxRssMegabytes << 20)
            {
                Reason = $"resident memory {rss >> 20} MB is above the limit of {settings.MaxRssMegabytes} MB";
                return;
            }
            // Judge CPU only over a full window, so a busy start-up (the /proc snapshot) does not count.
            if (span >= settings.WindowSeconds - Sample.TotalSeconds && LastCpuPercent > settings.MaxCpuPercent)
            {
                Reason = $"CPU use {LastCpuPercent:0}% of one core over {settings.WindowSeconds} s is above the limit of {settings.MaxCpuPercent}%";
                return;
            }
        }
    }

    /// <summary>CPU seconds used (user + system) and resident bytes, from /proc/self.</summary>
    private static (double CpuSeconds, long RssBytes) ReadSelf()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 (utime, stime) are at 11 and 12 after the state field.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        var statm = File.ReadAllText("/proc/self/statm").Split(' ');
        var rss = long.Parse(statm[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        return ((double)ticks / Libc.ClockTicksPerSecond, rss);
    }
}
