using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;
using Osprey.Testing.Processes;
using Osprey.Testing.Simulator;

namespace Osprey.Bench;

/// <summary>
/// (d) Alert latency: a real osprey-node with the corpus's Linux Sigma rules; simulated agents keep up a background
/// load of synthetic telemetry while one agent sends, one at a time, a process start the "Linux Base64 Encoded Pipe to
/// Shell" rule matches. Each sample is the time from posting that batch to the alert's count having grown in
/// GET /api/v1/alerts (polled every 5 ms). Bounded by a sample count and a time limit.
/// </summary>
public static class AlertLatencyBenchmark
{
    private const string RuleId = "ba592c6d-6888-43c3-b8c6-689b8fe47337";

    public static Command Command()
    {
        var samples = new Option<int>("--samples") { DefaultValueFactory = _ => 200, Description = "Matching events to time" };
        var background = new Option<int>("--background-agents") { DefaultValueFactory = _ => 4, Description = "Agents sending synthetic load meanwhile" };
        var rate = new Option<int>("--background-rate") { DefaultValueFactory = _ => 2_000, Description = "Background events per second, all agents together" };
        var limit = new Option<int>("--max-seconds") { DefaultValueFactory = _ => 120, Description = "Stop after this long whatever the sample count" };
        var rules = new Option<string?>("--rules") { Description = "Rule directory (default: sigma/linux of the shared corpora)" };
        var command = new Command("alert-latency", "Event ingest to alert visible in the operator API, p50 and p99") { samples, background, rate, limit, rules };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(samples), parse.GetValue(background), parse.GetValue(rate), parse.GetValue(limit), parse.GetValue(rules), ct));
        return command;
    }

    public static async Task<int> RunAsync(int sampleCount, int backgroundAgents, int backgroundRate, int maxSeconds, string? rulesDir, CancellationToken cancellationToken)
    {
        rulesDir ??= SigmaBenchmark.DefaultRules();
        await using var node = await NodeProcess.InitAsync(cancellationToken);
        await node.StartAsync(cancellationToken);
        var cli = new OspreyCli(node.Url, node.AdminToken, node.Pin);
        var token = (await cli.RunAsync("tokens", "create", "--uses", (backgroundAgents + 1).ToString(CultureInfo.InvariantCulture))).Stdout.Trim();
        using var api = SimulatedAgent.CreateClient(node.Url, new PinnedServerValidator(node.Pin), null);
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", node.AdminToken);

        var files = Directory.EnumerateFiles(rulesDir, "*.yml", SearchOption.AllDirectories)
            .Select(f => new { name = Path.GetRelativePath(rulesDir, f), content = File.ReadAllText(f) }).ToList();
        using (var import = await api.PostAsJsonAsync("/api/v1/rules/import", new { kind = "sigma", files }, cancellationToken))
        {
            import.EnsureSuccessStatusCode();
            var result = await import.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            Figures.Print("alert_latency_rules_compiled", result.GetProperty("compiled").GetInt32(), "rules");
        }

        using var probe = await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "bench-probe", cancellationToken);
        var loaders = new List<SimulatedAgent>();
        for (var i = 0; i < backgroundAgents; i++)
        {
            loaders.Add(await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, $"bench-load-{i:00}", cancellationToken));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long backgroundEvents = 0;
        var perAgentPerTick = Math.Max(1, backgroundRate / Math.Max(1, backgroundAgents) / 10);
        var load = loaders.Select((agent, i) => Task.Run(async () =>
        {
            var generator = new SyntheticEvents(agent.AgentId, $"bench-load-{i:00}", i);
            ulong sequence = 1;
            while (!stop.IsCancellationRequested)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
                var batch = Enumerable.Range(0, perAgentPerTick).Select(_ => generator.Next(sequence++, now)).ToList();
                try
                {
                    await agent.SendAsync(batch, false, stop.Token);
                    Interlocked.Add(ref backgroundEvents, batch.Count);
                    await Task.Delay(100, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None)).ToList();

        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= sampleCount && clock.Elapsed < TimeSpan.FromSeconds(maxSeconds); i++)
        {
            var e = PipeToShell(probe.AgentId, (ulong)i);
            var sample = Stopwatch.StartNew();
            await probe.SendAsync([e], false, cancellationToken);
            while (await CountAsync(api, probe.AgentId, cancellationToken) < i)
            {
                if (sample.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new TimeoutException($"no alert for sample {i} after 30 s");
                }
                await Task.Delay(5, cancellationToken);
            }
            latencies.Add(sample.Elapsed.TotalMilliseconds);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await Task.WhenAll(load);
        foreach (var agent in loaders)
        {
            agent.Dispose();
        }

        latencies.Sort();
        Figures.Print("alert_latency_samples", latencies.Count, "samples");
        Figures.Print("alert_latency_p50", Percentile(latencies, 0.50), "ms");
        Figures.Print("alert_latency_p99", Percentile(latencies, 0.99), "ms");
        Figures.Print("alert_latency_max", latencies[^1], "ms");
        Figures.Print("alert_latency_background_rate", backgroundEvents / elapsed, "events/s");
        return 0;
    }

    private static async Task<long> CountAsync(HttpClient api, string agentId, CancellationToken cancellationToken)
    {
        var alerts = await api.GetFromJsonAsync<JsonElement>($"/api/v1/alerts?rule={RuleId}&agent={agentId}", cancellationToken);
        return alerts.EnumerateArray().Sum(a => a.GetProperty("count").GetInt64());
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static Event PipeToShell(string agentId, ulong sequence) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Sequence = sequence,
        Type = EventType.ProcessStart,
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        Device = new DeviceRef { HostName = "bench-probe", AgentId = agentId, OsFamily = OsFamily.Linux },
        User = new UserRef { Name = "root", Id = "0" },
        Process = new ProcessRef
        {
            UniquePid = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
            Pid = 1000 + (int)sequence,
            Name = "sh",
            File = new FileRef { Path = "/bin/sh" },
            CommandLine = $"/bin/sh -c \"echo ZWNobyAke3NlcXVlbmNlfQ== | base64 -d | sh\" {sequence}",
        },
        ProcessStart = new ProcessStartEvent { SpawnSyscall = "execve", Parent = new ProcessRef { Pid = 1, File = new FileRef { Path = "/usr/bin/bash" } } },
    };
}
