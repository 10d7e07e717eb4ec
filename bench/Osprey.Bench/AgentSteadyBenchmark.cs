using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Osprey.Agent.Configuration;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Bench;

/// <summary>
/// (agent b) Steady load: the real agent with its default sensors, enrolled with a real node on loopback, under
/// 50 execs/s, 20 files/s of churn and 20 TCP connections/s (each open for a second) for N seconds. CPU and memory
/// of the agent process are measured after a warm-up; the events it delivered in that window are counted on the node.
/// </summary>
public static class AgentSteadyBenchmark
{
    private const int ExecsPerSecond = 50;
    private const int FilesPerSecond = 20;
    private const int ConnectionsPerSecond = 20;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(int seconds, CancellationToken cancellationToken)
    {
        RootCheck.Require();
        if (seconds <= WarmUp.TotalSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(seconds), $"--seconds must be more than the {WarmUp.TotalSeconds} s warm-up");
        }
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var node = await NodeProcess.InitAsync(cancellationToken);
        await node.StartAsync(cancellationToken);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var token = await cli.RunAsync("tokens", "create", "--uses", "1");
        if (token.ExitCode != 0)
        {
            throw new InvalidOperationException($"osprey tokens create failed: {token}");
        }
        await using var agent = await BenchAgent.StartAsync(node, token.Stdout.Trim(), Settings(node.DataDir), cancellationToken);
        await agent.WaitUntilReadyAsync(cancellationToken);
        await Console.Error.WriteLineAsync($"agent pid {agent.Pid}: {string.Join(", ", agent.ReadStatusFile()!.Value.GetProperty("sensors").EnumerateArray().Select(s => $"{s.GetProperty("name")} {s.GetProperty("state")}"))}");
        // The start-up /proc snapshot and the host-state sensors' first inventory are not steady state.
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);

        using var churn = new TempDirectory("osprey-bench-churn");
        var duration = TimeSpan.FromSeconds(seconds);
        var spawner = new ExecSpawner("/bin/true", $"osprey-steady-{run}-", ExecsPerSecond, duration, threads: 1);
        await Console.Error.WriteLineAsync($"load for {seconds} s: {ExecsPerSecond} execs/s, {FilesPerSecond} files/s in {churn.Path}, {ConnectionsPerSecond} connections/s held 1 s; measuring after {WarmUp.TotalSeconds} s");
        var clock = Stopwatch.StartNew();
        var execs = Task.Factory.StartNew(() => spawner.Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var files = Task.Run(() => SteadyLoad.FileChurnAsync(churn.Path, FilesPerSecond, duration, cancellationToken), cancellationToken);
        var connections = Task.Run(() => SteadyLoad.ConnectionsAsync(ConnectionsPerSecond, TimeSpan.FromSeconds(1), duration, cancellationToken), cancellationToken);

        await Task.Delay(WarmUp, cancellationToken);
        var windowStart = DateTimeOffset.UtcNow;
        var cpuBefore = ProcStat.CpuSeconds(agent.Pid);
        var windowClock = Stopwatch.StartNew();
        var rss = new List<double>();
        do
        {
            rss.Add(ProcStat.StatusMegabytes(agent.Pid, "VmRSS"));
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        while (clock.Elapsed < duration);
        var cpu = ProcStat.CpuSeconds(agent.Pid) - cpuBefore;
        var window = windowClock.Elapsed.TotalSeconds;
        var windowEnd = DateTimeOffset.UtcNow;
        var peakRss = ProcStat.StatusMegabytes(agent.Pid, "VmHWM");
        await Task.WhenAll(execs, files, connections);
        await Console.Error.WriteLineAsync($"load done: {spawner.Launched} execs, {files.Result} files, {connections.Result} connections in {clock.Elapsed.TotalSeconds:0.0} s; waiting for delivery");

        var status = await agent.WaitUntilDeliveredAsync(TimeSpan.FromSeconds(4), TimeSpan.FromMinutes(5), cancellationToken);
        await Console.Error.WriteLineAsync("agent sensors: " + string.Join("; ", status.GetProperty("sensors").EnumerateArray()
            .Select(s => $"{s.GetProperty("name")} {s.GetProperty("state")} events {s.GetProperty("events")} lost {s.GetProperty("lost")}")));
        var events = new NodeEvents(cli);
        var query = $"AgentId = \"{agent.AgentId}\"";
        var delivered = await events.CountAsync(query, windowStart, windowEnd);
        // Events per type in the window (from one search; the node returns at most 100,000).
        var types = (await events.SearchAsync(query, 100_000, windowStart, windowEnd))
            .GroupBy(e => e.GetProperty("eventType").GetString())
            .OrderByDescending(g => g.Count());
        await Console.Error.WriteLineAsync("events in the window by type: " + string.Join(", ", types.Select(g => $"{g.Key} {g.Count()}")));
        await agent.StopAsync();

        Figures.Print("agent_steady_cpu", 100 * cpu / window, "% of one core");
        Figures.Print("agent_steady_rss", rss.Average(), "MB");
        Figures.Print("agent_steady_peak_rss", peakRss, "MB");
        Figures.Print("agent_steady_events", delivered, "events");
        Figures.Print("agent_steady_event_rate", delivered / (windowEnd - windowStart).TotalSeconds, "events/s");
        return 0;
    }

    /// <summary>
    /// Every sensor (the agent's default), fast delivery, and the node's data directory left out of the file sensor: on
    /// a real host the node runs elsewhere, and here its database writes would otherwise feed back into the measurement.
    /// </summary>
    private static string Settings(string nodeDataDir)
    {
        var excluded = new JsonArray([.. new FileSensorSettings().ExcludedPaths.Append(nodeDataDir).Select(p => JsonValue.Create(p))]);
        return new JsonObject
        {
            ["batchIntervalMs"] = 200,
            ["syncIntervalSeconds"] = 2,
            ["files"] = new JsonObject { ["excludedPaths"] = excluded },
        }.ToJsonString();
    }
}
