using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// (agent a) Exec storm: for each rate, a new real agent (process sensor only) enrolled with a real node on loopback
/// watches N seconds of <c>/bin/true osprey-storm-RUN-RATE-n</c> started at that rate; the node is then asked how many
/// starts arrived with the exact command line and both hashes. auditd, with an execve rule, watches the same storm:
/// both run at once, so they see the identical storm (each also pays for the other's CPU, and the rule's kernel work
/// slows every exec a little, as on a host that runs both; <c>--without-auditd</c> runs the agent alone).
/// </summary>
public static class ExecStormBenchmark
{
    private const string Executable = "/bin/true";
    // Fast delivery so the count can be taken soon after the storm; the process sensor alone, so nothing else costs CPU.
    private const string Settings = """{ "batchIntervalMs": 200, "syncIntervalSeconds": 2, "sensors": ["process"] }""";
    private const int MaxSearch = 100_000;

    /// <param name="withAuditd">False runs the agent alone (no auditd figures), to see what auditd's kernel work costs the storm.</param>
    public static async Task<int> RunAsync(IReadOnlyList<int> rates, int seconds, bool withAuditd, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var node = await NodeProcess.InitAsync(cancellationToken);
        await node.StartAsync(cancellationToken);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var token = await cli.RunAsync("tokens", "create", "--uses", rates.Count.ToString(CultureInfo.InvariantCulture));
        if (token.ExitCode != 0)
        {
            throw new InvalidOperationException($"osprey tokens create failed: {token}");
        }
        var events = new NodeEvents(cli);
        await using var auditd = withAuditd ? await AuditdSession.StartAsync(cancellationToken) : null;
        if (auditd is not null)
        {
            await Console.Error.WriteLineAsync($"auditd pid {auditd.Pid} ({(auditd.StartedHere ? "started for this run" : "already running")}), log {auditd.LogFiles[0]}");
        }
        foreach (var rate in rates)
        {
            await RunRateAsync(node, token.Stdout.Trim(), events, auditd, run, rate, seconds, cancellationToken);
        }
        return 0;
    }

    private static async Task RunRateAsync(
        NodeProcess node, string token, NodeEvents events, AuditdSession? auditd, string run, int rate, int seconds, CancellationToken cancellationToken)
    {
        var prefix = $"osprey-storm-{run}-{rate}-";
        var key = $"osprey-bench-{run}-{rate}";
        await using var agent = await BenchAgent.StartAsync(node, token, Settings, cancellationToken);
        await agent.WaitUntilReadyAsync(cancellationToken);
        // The start-up /proc snapshot and first sync are not part of the storm.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);

        var spawner = new ExecSpawner(Executable, prefix, rate, TimeSpan.FromSeconds(seconds));
        var stormStart = DateTime.UtcNow;
        double agentCpu, auditdCpu = 0, window, peakRss;
        long auditLost = 0;
        if (auditd is not null)
        {
            await auditd.AddExecRuleAsync(key, cancellationToken);
        }
        try
        {
            var lostBefore = auditd is null ? 0 : await AuditdSession.KernelLostAsync(cancellationToken);
            await Console.Error.WriteLineAsync($"storm {rate}/s for {seconds} s: agent pid {agent.Pid}, marker {prefix}N");
            var threadsBefore = ProcStat.Threads(agent.Pid);
            var agentBefore = ProcStat.CpuSeconds(agent.Pid);
            var auditdBefore = auditd is null ? 0 : ProcStat.CpuSeconds(auditd.Pid);
            var clock = Stopwatch.StartNew();
            await Task.Factory.StartNew(() => spawner.Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            window = clock.Elapsed.TotalSeconds;
            agentCpu = ProcStat.CpuSeconds(agent.Pid) - agentBefore;
            var threads = ProcStat.ThreadCpu(threadsBefore, ProcStat.Threads(agent.Pid)).Take(6).Select(t => $"{t.Name} {100 * t.CpuSeconds / window:0}%");
            await Console.Error.WriteLineAsync($"agent CPU by thread during the storm (% of one core): {string.Join(", ", threads)}");
            if (auditd is not null)
            {
                auditdCpu = ProcStat.CpuSeconds(auditd.Pid) - auditdBefore;
                auditLost = await AuditdSession.KernelLostAsync(cancellationToken) - lostBefore;
            }
            peakRss = ProcStat.StatusMegabytes(agent.Pid, "VmHWM");
        }
        finally
        {
            if (auditd is not null)
            {
                await auditd.DeleteExecRuleAsync(key, cancellationToken);
            }
        }
        await Console.Error.WriteLineAsync($"storm {rate}/s done: {spawner.Launched} started ({spawner.Failed} refused) in {window:0.00} s; waiting for delivery");

        if (!agent.HasExited)
        {
            var status = await agent.WaitUntilDeliveredAsync(TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(5), cancellationToken);
            peakRss = ProcStat.StatusMegabytes(agent.Pid, "VmHWM");
            var process = status.GetProperty("sensors").EnumerateArray().First(s => s.GetProperty("name").GetString() == "process");
            await Console.Error.WriteLineAsync($"agent status: process sensor {process.GetProperty("state")}, events {process.GetProperty("events")}, lost {process.GetProperty("lost")}; outbox dropped {status.GetProperty("droppedEvents")}");
        }
        var exit = await agent.StopAsync();
        var stopped = agent.Log.Split('\n').LastOrDefault(l => l.Contains("Process sensor stopped", StringComparison.Ordinal))?.Trim();
        await Console.Error.WriteLineAsync($"agent exit code {exit}; {stopped ?? "no process sensor summary in its log"}");
        foreach (var line in agent.Log.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).Take(20))
        {
            await Console.Error.WriteLineAsync("agent log: " + line.Trim());
        }

        var captured = await AgentCapturedAsync(events, prefix, spawner, cancellationToken);
        await PrintOtherChildStartsAsync(events, agent.AgentId!, prefix);
        var launched = Math.Max(1, spawner.Launched);
        Figures.Print($"exec_storm_{rate}_achieved_rate", spawner.AchievedRate, "execs/s");
        Figures.Print($"exec_storm_{rate}_captured", 100.0 * captured / launched, "%");
        Figures.Print($"exec_storm_{rate}_agent_cpu", 100 * agentCpu / window, "% of one core");
        Figures.Print($"exec_storm_{rate}_agent_peak_rss", peakRss, "MB");
        if (auditd is not null)
        {
            await auditd.WaitForQuietLogAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), cancellationToken);
            var (auditFound, auditEvents) = AuditExecCount.Count(auditd.LogFiles.Where(f => File.Exists(f) && File.GetLastWriteTimeUtc(f) >= stormStart), key, prefix);
            var auditCaptured = auditFound.Count(spawner.WasLaunched);
            await Console.Error.WriteLineAsync($"auditd: {auditEvents} execve records with key {key} and the marker ({auditCaptured} distinct starts); kernel audit records lost during the storm: {auditLost}");
            Figures.Print($"auditd_exec_storm_{rate}_captured", 100.0 * auditCaptured / launched, "%");
            Figures.Print($"auditd_exec_storm_{rate}_cpu", 100 * auditdCpu / window, "% of one core");
        }
    }

    /// <summary>
    /// Distinct starts whose ProcessStart on the node has exactly <c>/bin/true prefix+n</c> as command line and a non-empty
    /// SHA-256 and MD5. Above the node's search limit only the count query is possible (prefix and hashes, no exactness check).
    /// </summary>
    private static async Task<long> AgentCapturedAsync(NodeEvents events, string prefix, ExecSpawner spawner, CancellationToken cancellationToken)
    {
        var query = $"EventType = \"ProcessStart\" AND CommandLine STARTS \"{Executable} {prefix}\"";
        var arrived = await events.WaitForStableCountAsync(query, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(2), cancellationToken);
        if (arrived >= MaxSearch)
        {
            return await events.CountAsync($"{query} AND Sha256 != \"\" AND Md5 != \"\"");
        }
        var found = new HashSet<long>();
        long withoutHash = 0, otherCommandLine = 0, duplicates = 0;
        foreach (var e in await events.SearchAsync(query, MaxSearch))
        {
            var commandLine = Text(e, "commandLine");
            if (!commandLine.StartsWith($"{Executable} {prefix}", StringComparison.Ordinal)
                || !long.TryParse(commandLine.AsSpan(Executable.Length + 1 + prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                || !spawner.WasLaunched(n))
            {
                otherCommandLine++;
            }
            else if (Text(e, "sha256").Length == 0 || Text(e, "md5").Length == 0)
            {
                withoutHash++;
            }
            else if (!found.Add(n))
            {
                duplicates++;
            }
        }
        await Console.Error.WriteLineAsync(
            $"node: {arrived} ProcessStart events with the marker; {found.Count} complete, {withoutHash} without a hash, {otherCommandLine} with another command line, {duplicates} duplicates");
        // Captured share per second of the storm: even loss and a stall read differently.
        var seconds = Enumerable.Range(0, (int)Math.Ceiling(spawner.Elapsed.TotalSeconds)).ToArray();
        var launchedPerSecond = new long[seconds.Length + 1];
        var foundPerSecond = new long[seconds.Length + 1];
        for (long n = 0; n < spawner.Scheduled; n++)
        {
            if (spawner.LaunchedAfter(n) is { } at)
            {
                launchedPerSecond[(int)at.TotalSeconds]++;
                foundPerSecond[(int)at.TotalSeconds] += found.Contains(n) ? 1 : 0;
            }
        }
        await Console.Error.WriteLineAsync("node: complete / started per storm second: " + string.Join(" ", seconds.Select(i => $"{foundPerSecond[i]}/{launchedPerSecond[i]}")));
        return found.Count;
    }

    /// <summary>
    /// To stderr: this bench's other children in the agent's ProcessStart events, by kind. A storm start that is missing
    /// from the count usually shows up here (announced from its fork, or with an empty command line).
    /// </summary>
    private static async Task PrintOtherChildStartsAsync(NodeEvents events, string agentId, string prefix)
    {
        var query = $"AgentId = \"{agentId}\" AND EventType = \"ProcessStart\" AND ParentPid = {Environment.ProcessId} AND NOT CommandLine STARTS \"{Executable} {prefix}\"";
        var others = await events.SearchAsync(query, 10_000);
        var kinds = others
            .GroupBy(e => $"{Spawn(e)} {Text(e, "processPath")} [{Shorten(Text(e, "commandLine"))}]{(Text(e, "sha256").Length == 0 ? " no hash" : "")}")
            .OrderByDescending(g => g.Count())
            .Take(6)
            .Select(g => $"{g.Count()} x {g.Key}");
        await Console.Error.WriteLineAsync($"node: {others.Count} other ProcessStart events of this bench's children{(others.Count > 0 ? ": " + string.Join("; ", kinds) : "")}");
    }

    private static string Spawn(JsonElement e)
    {
        using var details = JsonDocument.Parse(Text(e, "details") is { Length: > 0 } text ? text : "{}");
        return details.RootElement.TryGetProperty("spawn_syscall", out var spawn) ? spawn.GetString() ?? "" : "";
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
