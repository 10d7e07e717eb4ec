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
/// load of synthetic telemetry while matching activity for the "Linux Base64 Encoded Pipe to Shell" rule happens one
/// sample at a time. Each sample is the time until the alert's count has grown in GET /api/v1/alerts (polled every
/// 5 ms). With <c>--endpoint</c> (the figure) the activity is real: a real osprey-agent on this host, batching
/// every second, records a real <c>echo … | base64 -d | sh</c> and the clock starts just before that shell is spawned.
/// Without it a simulated agent posts the event and the clock starts at the post (the node's share alone).
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
        var endpoint = new Option<bool>("--endpoint") { Description = "Real activity recorded by a real agent on this host (root), batching every --batch-ms" };
        var batchMs = new Option<int>("--batch-ms") { DefaultValueFactory = _ => 1_000, Description = "The real agent's telemetry batching interval" };
        var command = new Command("alert-latency", "Event (on the endpoint, or at ingest) to alert visible in the operator API, p50 and p99")
        {
            samples, background, rate, limit, rules, endpoint, batchMs,
        };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(samples), parse.GetValue(background), parse.GetValue(rate), parse.GetValue(limit), parse.GetValue(rules),
            parse.GetValue(endpoint) ? parse.GetValue(batchMs) : null, ct));
        return command;
    }

    public static async Task<int> RunAsync(
        int sampleCount, int backgroundAgents, int backgroundRate, int maxSeconds, string? rulesDir, int? endpointBatchMs, CancellationToken cancellationToken)
    {
        rulesDir ??= SigmaBenchmark.DefaultRules();
        if (endpointBatchMs is not null)
        {
            RootCheck.Require();
        }
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

        using var probe = endpointBatchMs is null ? await SimulatedAgent.EnrollAsync(node.Url, token, node.Pin, "bench-probe", cancellationToken) : null;
        await using var endpoint = endpointBatchMs is { } interval ? await StartAgentAsync(node, token, interval, cancellationToken) : null;
        var probeId = probe?.AgentId ?? endpoint!.AgentId!;
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
            var sample = Stopwatch.StartNew();
            if (probe is not null)
            {
                await probe.SendAsync([PipeToShell(probe.AgentId, (ulong)i)], false, cancellationToken);
            }
            else
            {
                // Real activity: the shell pipes a decoded script into sh, as the rule describes; it lives ~0.2 s.
                var script = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"sleep 0.2 # osprey-bench {i}\n"));
                using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"echo {script} | base64 -d | sh"]))!;
            }
            while (await CountAsync(api, probeId, cancellationToken) < i)
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
        // From the endpoint the figures are named apart: they include the agent's sensor and batching.
        var prefix = endpointBatchMs is null ? "alert_latency" : "alert_latency_endpoint";
        if (endpointBatchMs is { } batch)
        {
            Figures.Print("alert_latency_endpoint_batch_interval", batch, "ms");
        }
        Figures.Print(prefix + "_samples", latencies.Count, "samples");
        Figures.Print(prefix + "_p50", Percentile(latencies, 0.50), "ms");
        Figures.Print(prefix + "_p99", Percentile(latencies, 0.99), "ms");
        Figures.Print(prefix + "_max", latencies[^1], "ms");
        Figures.Print("alert_latency_background_rate", backgroundEvents / elapsed, "events/s");
        return 0;
    }

    /// <summary>A real agent enrolled to the node, running the process sensor with the given batching interval.</summary>
    private static async Task<AgentProcess> StartAgentAsync(NodeProcess node, string token, int batchMs, CancellationToken cancellationToken)
    {
        var agent = new AgentProcess();
        try
        {
            var settings = $$"""{ "batchIntervalMs": {{batchMs}}, "sensors": ["process"] }""";
            var enroll = await agent.EnrollAsync(node.Url.ToString(), token, node.Pin, settings, cancellationToken);
            if (enroll.ExitCode != 0)
            {
                throw new InvalidOperationException("the agent did not enroll: " + enroll);
            }
            agent.Start("Information");
            await agent.WaitForStatusAsync(
                s => s.GetProperty("sensors").EnumerateArray().Any(x => x.GetProperty("state").GetString() == "Running"),
                TimeSpan.FromSeconds(60),
                cancellationToken);
            return agent;
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
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
