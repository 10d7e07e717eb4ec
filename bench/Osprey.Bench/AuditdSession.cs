using System.Diagnostics;
using System.Globalization;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// auditd for a comparison run: installs it if missing, uses the running daemon or starts one of its own (with the
/// system's auditd.conf, but logging into a temporary directory without rotation), adds and removes execve rules,
/// and on dispose removes every rule it added and leaves the daemon and the kernel audit settings as it found them.
/// </summary>
public sealed class AuditdSession : IAsyncDisposable
{
    private const string SystemConfig = "/etc/audit/auditd.conf";
    // Debian's packaged rules (/etc/audit/rules.d/audit.rules) raise the kernel backlog to this; the kernel default of
    // 64 overflows in the first milliseconds of a storm, which would measure a misconfiguration rather than auditd.
    private const int BacklogLimit = 8192;
    private readonly HashSet<string> _rules = [];
    private readonly Dictionary<string, string> _original;
    private readonly TempDirectory? _ownDirectory;
    private readonly Process? _ownDaemon;

    private AuditdSession(Dictionary<string, string> original, int pid, IReadOnlyList<string> logFiles, TempDirectory? ownDirectory, Process? ownDaemon)
    {
        _original = original;
        Pid = pid;
        LogFiles = logFiles;
        _ownDirectory = ownDirectory;
        _ownDaemon = ownDaemon;
    }

    /// <summary>The auditd process.</summary>
    public int Pid { get; }

    /// <summary>True when this session started auditd (and will stop it).</summary>
    public bool StartedHere => _ownDaemon is not null;

    /// <summary>The log file and, for a daemon that was already running, its rotated predecessors.</summary>
    public IReadOnlyList<string> LogFiles { get; }

    public static async Task<AuditdSession> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists("/usr/sbin/auditctl") || !File.Exists("/usr/sbin/auditd"))
        {
            await Console.Error.WriteLineAsync("auditd is not installed; installing it (apt-get install -y auditd)");
            var install = await CommandRunner.RunAsync("apt-get", ["install", "-y", "auditd"],
                new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" }, TimeSpan.FromMinutes(10), cancellationToken);
            if (install.ExitCode != 0)
            {
                throw new InvalidOperationException($"apt-get install -y auditd failed: {install}");
            }
        }
        var original = await StateAsync(cancellationToken);
        if (original["enabled"] == "2")
        {
            throw new InvalidOperationException("the audit configuration is locked (enabled 2): rules cannot be added until reboot");
        }
        var pid = int.Parse(original["pid"], CultureInfo.InvariantCulture);
        TempDirectory? directory = null;
        Process? daemon = null;
        IReadOnlyList<string> logs;
        try
        {
            if (pid == 0)
            {
                (directory, daemon, logs) = await StartOwnDaemonAsync(cancellationToken);
                pid = daemon.Id;
            }
            else
            {
                var log = ConfigValue(File.ReadAllLines(SystemConfig), "log_file") ?? "/var/log/audit/audit.log";
                logs = [log, .. Enumerable.Range(1, 99).Select(i => $"{log}.{i}")];
            }
            var session = new AuditdSession(original, pid, logs, directory, daemon);
            if (int.Parse(original["backlog_limit"], CultureInfo.InvariantCulture) < BacklogLimit)
            {
                await AuditctlAsync(cancellationToken, "-b", BacklogLimit.ToString(CultureInfo.InvariantCulture));
            }
            if ((await StateAsync(cancellationToken))["enabled"] == "0")
            {
                await AuditctlAsync(cancellationToken, "-e", "1");
            }
            return session;
        }
        catch
        {
            await StopOwnDaemonAsync(daemon);
            directory?.Dispose();
            throw;
        }
    }

    /// <summary>The kernel's count of audit records it dropped (backlog full) so far.</summary>
    public static async Task<long> KernelLostAsync(CancellationToken cancellationToken) =>
        long.Parse((await StateAsync(cancellationToken))["lost"], CultureInfo.InvariantCulture);

    /// <summary>Adds <c>-a always,exit -F arch=b64 -S execve -k KEY</c>.</summary>
    public async Task AddExecRuleAsync(string key, CancellationToken cancellationToken)
    {
        await AuditctlAsync(cancellationToken, ["-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", key]);
        _rules.Add(key);
    }

    public async Task DeleteExecRuleAsync(string key, CancellationToken cancellationToken)
    {
        if (_rules.Remove(key))
        {
            await AuditctlAsync(cancellationToken, ["-d", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", key]);
        }
    }

    /// <summary>Waits until the log files stop growing for <paramref name="quiet"/> (auditd has written what the kernel queued).</summary>
    public async Task WaitForQuietLogAsync(TimeSpan quiet, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var size = LogSize();
        var since = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline && Stopwatch.GetElapsedTime(since) < quiet)
        {
            await Task.Delay(250, cancellationToken);
            if (LogSize() is var next && next != size)
            {
                (size, since) = (next, Stopwatch.GetTimestamp());
            }
        }
    }

    private long LogSize() => LogFiles.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private static async Task<(TempDirectory, Process, IReadOnlyList<string>)> StartOwnDaemonAsync(CancellationToken cancellationToken)
    {
        var directory = new TempDirectory("osprey-bench-auditd");
        var log = Path.Combine(directory.Path, "audit.log");
        // The system's settings (format, flush, priority boost) as they are, but the log in our directory and never
        // rotated, so a storm's records are all in one file and none are left in /var/log/audit.
        var config = File.ReadAllLines(SystemConfig)
            .Select(line => ConfigKey(line) switch
            {
                "log_file" => $"log_file = {log}",
                "max_log_file_action" => "max_log_file_action = IGNORE",
                "space_left_action" or "admin_space_left_action" or "disk_full_action" => $"{ConfigKey(line)} = SYSLOG",
                _ => line,
            });
        var file = Path.Combine(directory.Path, "auditd.conf");
        await File.WriteAllLinesAsync(file, config, cancellationToken);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // -n: no fork, so this process is the daemon and can be stopped by its ID; -c: the configuration directory.
        var daemon = Process.Start(CommandRunner.Start("/usr/sbin/auditd", ["-n", "-c", directory.Path], null))
            ?? throw new InvalidOperationException("auditd did not start");
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (daemon.HasExited)
            {
                throw new InvalidOperationException($"auditd exited with {daemon.ExitCode}");
            }
            if ((await StateAsync(cancellationToken))["pid"] == daemon.Id.ToString(CultureInfo.InvariantCulture))
            {
                return (directory, daemon, [log]);
            }
            await Task.Delay(100, cancellationToken);
        }
        await StopOwnDaemonAsync(daemon);
        directory.Dispose();
        throw new TimeoutException("auditd did not register with the kernel within 10 s");
    }

    private static async Task StopOwnDaemonAsync(Process? daemon)
    {
        if (daemon is null)
        {
            return;
        }
        if (!daemon.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await daemon.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                daemon.Kill();
                await daemon.WaitForExitAsync();
            }
        }
        daemon.Dispose();
    }

    /// <summary>`auditctl -s` as key → value (enabled, failure, pid, rate_limit, backlog_limit, lost, backlog…).</summary>
    private static async Task<Dictionary<string, string>> StateAsync(CancellationToken cancellationToken)
    {
        var output = await AuditctlAsync(cancellationToken, "-s");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0], parts => parts[1].Trim(), StringComparer.Ordinal);
    }

    private static async Task<string> AuditctlAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync("/usr/sbin/auditctl", arguments, cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"auditctl {string.Join(' ', arguments)} failed: {result}");
        }
        return result.Stdout;
    }

    private static string? ConfigKey(string line) =>
        line.TrimStart().StartsWith('#') || !line.Contains('=', StringComparison.Ordinal) ? null : line[..line.IndexOf('=', StringComparison.Ordinal)].Trim();

    private static string? ConfigValue(IEnumerable<string> lines, string key) =>
        lines.Where(l => ConfigKey(l) == key).Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim()).LastOrDefault();

    public async ValueTask DisposeAsync()
    {
        // Rules first, so no record is produced while nobody reads them.
        foreach (var key in _rules.ToList())
        {
            try
            {
                await DeleteExecRuleAsync(key, CancellationToken.None);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"could not remove audit rule {key}: {e.Message}");
            }
        }
        await StopOwnDaemonAsync(_ownDaemon);
        try
        {
            await AuditctlAsync(CancellationToken.None, "-b", _original["backlog_limit"]);
            await AuditctlAsync(CancellationToken.None, "-e", _original["enabled"]);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"could not restore the audit settings (backlog_limit {_original["backlog_limit"]}, enabled {_original["enabled"]}): {e.Message}");
        }
        _ownDirectory?.Dispose();
    }
}
