using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Osprey.Testing.Paths;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// The SigmaHQ Linux rules imported with the CLI, real activity on this host recorded by the real agent, and the
/// alerts read back with <c>osprey alerts list --json</c> within 5 seconds of the activity.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentDetectionTests
{
    private const string PipeToShell = "ba592c6d-6888-43c3-b8c6-689b8fe47337";  // Linux Base64 Encoded Pipe to Shell
    private const string CronFile = "6c4e2f43-d94d-4ead-b64d-97e53fa2bd05";     // New Cron File Created
    private const string Setuid = "c21c4eaa-ba2e-419a-92b2-8371703cbe21";       // Setuid and Setgid

    private static readonly TimeSpan Requirement = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string SigmaRules
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("OSPREY_CORPORA");
            var root = string.IsNullOrEmpty(configured) ? Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "corpora")) : configured;
            var rules = Path.Combine(root, "sigma", "linux");
            return Directory.Exists(rules)
                ? rules
                : throw new DirectoryNotFoundException($"the Sigma corpus is missing: no {rules} (set OSPREY_CORPORA, or put the corpora at ../shared/corpora)");
        }
    }

    [Fact]
    public async Task LinuxSigmaRules_FireOnABase64PipeToShell_ANewCronFile_AndASetuidBit_WithinFiveSeconds()
    {
        await using var run = await AgentOnNode.StartAsync(["process", "file"], """
            "files": { "paths": ["/etc/cron.d"] }
            """, Ct);
        var import = await run.Cli.RunAsync("rules", "import", "sigma", SigmaRules, "--json");
        Assert.True(import.ExitCode == 0, import.ToString());
        var imported = JsonDocument.Parse(import.Stdout).RootElement;
        var rules = imported.GetProperty("rules").EnumerateArray().ToList();
        var files = Directory.EnumerateFiles(SigmaRules, "*.yml", SearchOption.AllDirectories).Count();
        Assert.True(rules.Count >= files, $"{rules.Count} rules reported for {files} files");
        Assert.All(rules, r => Assert.True(r.GetProperty("status").GetString() == "compiled" || r.GetProperty("reason").GetString()!.Length > 0, r.ToString()));
        foreach (var id in (string[])[PipeToShell, CronFile, Setuid])
        {
            Assert.Equal("compiled", rules.Single(r => r.GetProperty("ruleId").GetString() == id).GetProperty("status").GetString());
        }
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"imported {rules.Count} rules from {files} files: {imported.GetProperty("compiled")} compiled, {imported.GetProperty("unsupported")} unsupported, {imported.GetProperty("invalid")} invalid");

        var marker = "osprey-e2e-" + Guid.NewGuid().ToString("N")[..8];
        var cronPath = $"/etc/cron.d/{marker}";
        var setuidPath = $"/tmp/{marker}";
        var started = new Dictionary<string, Stopwatch>(StringComparer.Ordinal);
        try
        {
            // Each shell lives half a second so the exec is read from /proc even on a loaded machine.
            var script = Convert.ToBase64String(Encoding.UTF8.GetBytes($"sleep 0.5; echo {marker} >/dev/null\n"));
            started[PipeToShell] = Stopwatch.StartNew();
            await RunShellAsync($"echo {script} | base64 -d | sh");

            started[CronFile] = Stopwatch.StartNew();
            await File.WriteAllTextAsync(cronPath, $"# {marker}: written by an Osprey end-to-end test, removed at once\n", Ct);

            await File.WriteAllTextAsync(setuidPath, "", Ct);
            started[Setuid] = Stopwatch.StartNew();
            await RunShellAsync($"chown root {setuidPath}; chmod u+s {setuidPath}; sleep 0.5");
            Assert.True(File.GetUnixFileMode(setuidPath).HasFlag(UnixFileMode.SetUser));
        }
        finally
        {
            File.Delete(cronPath);
            File.Delete(setuidPath);
        }

        var seen = new Dictionary<string, (TimeSpan Latency, JsonElement Alert)>(StringComparer.Ordinal);
        while (seen.Count < started.Count)
        {
            var list = await run.Cli.RunAsync("alerts", "list", "--json", "--limit", "1000");
            Assert.True(list.ExitCode == 0, list.ToString());
            foreach (var alert in JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray())
            {
                var rule = alert.GetProperty("ruleId").GetString()!;
                if (started.TryGetValue(rule, out var clock) && !seen.ContainsKey(rule) && alert.GetProperty("agentId").GetString() == run.Agent.AgentId)
                {
                    seen[rule] = (clock.Elapsed, alert.Clone());
                }
            }
            var late = started.Where(s => !seen.ContainsKey(s.Key) && s.Value.Elapsed > Requirement).Select(s => s.Key).ToList();
            Assert.True(late.Count == 0, $"no alert within {Requirement.TotalSeconds} s for rules {string.Join(", ", late)}; alerts: {list.Stdout}");
            await Task.Delay(100, Ct);
        }

        foreach (var (rule, (latency, alert)) in seen)
        {
            // The latency includes polling with the CLI (a process start per poll): an upper bound.
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"alert '{alert.GetProperty("ruleTitle").GetString()}' visible in osprey alerts list {latency.TotalMilliseconds:F0} ms after the activity: {alert.GetProperty("summary").GetString()}");
            Assert.True(latency <= Requirement, $"{rule}: {latency}");
            Assert.Equal("new", alert.GetProperty("status").GetString());
            Assert.Equal("sigma", alert.GetProperty("technology").GetString());
        }
        // Other tests on the host write cron files too, and the agent watching /etc/cron.d may see theirs first: the
        // check is that this test's file is among the events of this agent's cron alerts.
        Assert.True(await CronAlertsLinkAsync(run, marker), $"no cron alert of agent {run.Agent.AgentId} links the event of /etc/cron.d/{marker}");
        Assert.Contains($"chmod u+s {setuidPath}", seen[Setuid].Alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("base64 -d | sh", seen[PipeToShell].Alert.GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The alert names the process: its tree comes from the existing process-tree query, with the linked event.
        var pipe = seen[PipeToShell].Alert;
        var tree = await run.Cli.RunAsync("events", "tree", pipe.GetProperty("uniquePid").GetString()!, "--json");
        Assert.True(tree.ExitCode == 0, tree.ToString());
        var show = await run.Cli.RunAsync("alerts", "show", pipe.GetProperty("alertId").GetString()!, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        var linked = JsonDocument.Parse(show.Stdout).RootElement.GetProperty("events");
        Assert.Contains(linked.EnumerateArray(), e => e.GetProperty("uniquePid").GetString() == pipe.GetProperty("uniquePid").GetString());
    }

    [Fact]
    public async Task AHuntingQuerySavedAsARule_FiresOnARealProcess_WithinFiveSeconds_AndItsAlertJoinsAnIncident()
    {
        await using var run = await AgentOnNode.StartAsync(["process"], null, Ct);
        var marker = "osprey-custom-" + Guid.NewGuid().ToString("N")[..8];
        var query = $"EventType = \"ProcessStart\" AND ProcessName = \"sleep\" AND CommandLine CONTAINS \"{marker}\"";
        var search = await run.Cli.RunAsync("events", "search", query, "--save-rule", "Sleep with the marker");
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains("saved as custom rule custom-", search.Stderr, StringComparison.Ordinal);
        var refused = await run.Cli.RunAsync("rules", "create", "--title", "broken", "--query", "CommandLine CONTAINS");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("expected a value after CONTAINS", refused.Stderr, StringComparison.Ordinal);
        var listed = JsonDocument.Parse((await run.Cli.RunAsync("rules", "list", "--kind", "custom", "--json")).Stdout).RootElement;
        var ruleId = Assert.Single(listed.EnumerateArray()).GetProperty("ruleId").GetString()!;
        var update = await run.Cli.RunAsync("rules", "update", ruleId, "--importance", "critical", "--technique", "T1059");
        Assert.True(update.ExitCode == 0, update.ToString());

        var clock = Stopwatch.StartNew();
        await RunShellAsync($"sleep 0.5 {marker} 2>/dev/null || sleep 0.5");
        JsonElement? alert = null;
        while (alert is null)
        {
            var list = await run.Cli.RunAsync("alerts", "list", "--json", "--rule", ruleId);
            Assert.True(list.ExitCode == 0, list.ToString());
            alert = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Select(a => (JsonElement?)a.Clone()).FirstOrDefault();
            Assert.True(alert is not null || clock.Elapsed <= Requirement, $"no alert of the custom rule within {Requirement.TotalSeconds} s");
            await Task.Delay(alert is null ? 100 : 0, Ct);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"custom rule alert visible {clock.ElapsedMilliseconds} ms after the process started");

        Assert.Equal("custom", alert.Value.GetProperty("technology").GetString());
        Assert.Equal("critical", alert.Value.GetProperty("importance").GetString());
        Assert.Equal(["T1059"], alert.Value.GetProperty("techniques").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains(marker, alert.Value.GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The alert grouped into an incident with the CLI, then closed with it.
        var create = await run.Cli.RunAsync("incidents", "create", "--title", "Marker sleep", "--rule", ruleId, "--json");
        Assert.True(create.ExitCode == 0, create.ToString());
        var incidentId = JsonDocument.Parse(create.Stdout).RootElement.GetProperty("incidentId").GetString()!;
        var close = await run.Cli.RunAsync("incidents", "status", incidentId, "closed");
        Assert.True(close.ExitCode == 0, close.ToString());
        var shown = JsonDocument.Parse((await run.Cli.RunAsync("incidents", "show", incidentId, "--json")).Stdout).RootElement;
        Assert.Equal("critical", shown.GetProperty("incident").GetProperty("importance").GetString());
        var grouped = Assert.Single(shown.GetProperty("alerts").EnumerateArray());
        Assert.Equal(alert.Value.GetProperty("alertId").GetString(), grouped.GetProperty("alertId").GetString());
        Assert.Equal("closed", grouped.GetProperty("status").GetString());
    }

    private static async Task RunShellAsync(string command)
    {
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]))!;
        await shell.WaitForExitAsync(Ct);
        Assert.Equal(0, shell.ExitCode);
    }

    private static async Task<bool> CronAlertsLinkAsync(AgentOnNode run, string marker)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var list = await run.Cli.RunAsync("alerts", "list", "--json", "--limit", "1000");
            Assert.True(list.ExitCode == 0, list.ToString());
            foreach (var alert in JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray()
                .Where(a => a.GetProperty("ruleId").GetString() == CronFile && a.GetProperty("agentId").GetString() == run.Agent.AgentId))
            {
                var show = await run.Cli.RunAsync("alerts", "show", alert.GetProperty("alertId").GetString()!, "--json");
                Assert.True(show.ExitCode == 0, show.ToString());
                if (show.Stdout.Contains(marker, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            if (deadline.Elapsed > Requirement)
            {
                return false;
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }
}
