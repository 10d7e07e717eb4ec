using System.Security.Cryptography;
using System.Text.Json;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.EndToEnd.Tests.Agent;

/// <summary>
/// Prevention end to end: rule sets set with the CLI, enforced by the real agent with fanotify permission events.
/// Safety (DESIGN §4): the agent intercepts only on a tmpfs this test mounts; every file it runs or opens there is
/// the test's own.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentPreventionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BlockAndAudit_ExecutablesScriptsAndDocuments_ReportedAsTelemetry_ReplacedWhole_EnforcedAgainAfterAKill()
    {
        RootCheck.Require();
        await using var mount = await TmpfsMount.CreateAsync("osprey-prevention-");
        var dir = mount.Path;
        await using var h = await AgentOnNode.StartAsync(["mount"], $$"""
            "prevention": { "paths": ["{{dir}}"] }
            """, Ct);
        var agent = h.Agent.AgentId!;

        // Programs of the test's own: copies of /bin/true made unique by trailing bytes (ignored by the loader).
        var blocked = await UniqueProgramAsync(dir, "blocked-tool");
        var audited = await UniqueProgramAsync(dir, "audited-tool");
        // In a directory anyone may write: a user could rename it, so it never gets an ignore mark (root's programs in
        // root's directories do; only root could rename those).
        var shared = Path.Combine(dir, "shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var harmless = await UniqueProgramAsync(shared, "harmless-tool");
        var script = Path.Combine(dir, "dropper.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho dropped\n", Ct);
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        var document = Path.Combine(dir, "invoice.pdf");
        await File.WriteAllTextAsync(document, "%PDF-1.4 not really\n", Ct);
        var documentMd5 = Convert.ToHexStringLower(MD5.HashData(await File.ReadAllBytesAsync(document, Ct)));

        // Before any rule everything runs.
        Assert.Equal(0, (await RunAsync(blocked)).ExitCode);

        var rules = await RuleFileAsync(dir, $$"""
            { "name": "test policy", "rules": [
              { "id": "block-tool", "sha256": "{{Sha256(blocked)}}", "mode": "block", "targets": ["executables"] },
              { "id": "audit-tool", "path": "{{dir}}/**/audited-*", "mode": "audit" },
              { "id": "no-dropper", "path": "{{dir}}/**/*.sh", "mode": "block", "targets": ["scripts"] },
              { "id": "no-invoices", "md5": "{{documentMd5}}", "mode": "block", "targets": ["documents"] }
            ] }
            """);
        var set = await h.Cli.RunAsync("prevention", "set", "--agent", agent, "--file", rules, "--wait", "--json");
        Assert.True(set.ExitCode == 0, set.ToString());
        var applied = JsonDocument.Parse(set.Stdout).RootElement[0].GetProperty("reports").EnumerateArray().Last().GetProperty("report").GetProperty("prevention");
        Assert.Equal(4, applied.GetProperty("ruleCount").GetInt32());
        var version = ulong.Parse(applied.GetProperty("appliedVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

        // Blocked (the kernel refuses with EPERM): the executable, the script run directly and through its
        // interpreter, the document opened by an application. Audited and unrelated programs run.
        AssertRefused(await RunAsync(blocked));
        Assert.Equal(0, (await RunAsync(audited)).ExitCode);
        Assert.Equal(0, (await RunAsync(harmless)).ExitCode);
        var direct = await RunAsync(script);
        Assert.True(direct.ExitCode != 0 && !direct.Stdout.Contains("dropped", StringComparison.Ordinal), direct.ToString());
        var interpreted = await CommandRunner.RunAsync("/bin/sh", [script], cancellationToken: Ct);
        Assert.True(interpreted.ExitCode != 0 && !interpreted.Stdout.Contains("dropped", StringComparison.Ordinal), interpreted.ToString());
        var cat = await CommandRunner.RunAsync("/bin/cat", [document], cancellationToken: Ct);
        AssertRefused(cat);
        // Outside the rules' reach nothing changes: another file on the same mount opens.
        await File.WriteAllTextAsync(Path.Combine(dir, "notes.txt"), "fine\n", Ct);
        Assert.Equal("fine\n", (await CommandRunner.RunAsync("/bin/cat", [Path.Combine(dir, "notes.txt")], cancellationToken: Ct)).Stdout);

        // A program allowed before is renamed into a path rule's reach: the kernel was not told to stop asking about it
        // (path rules reach this filesystem and its directory is writable by all), so the rule applies at once.
        var renamed = Path.Combine(shared, "audited-renamed");
        File.Move(harmless, renamed);
        Assert.Equal(0, (await RunAsync(renamed)).ExitCode);

        // Every block and audit is telemetry with the rule, the criterion and the file's hash.
        var executions = await h.WaitForEventsAsync($"EventType = \"ExecutionBlocked\" AND AgentId = \"{agent}\"", 5);
        var byRule = executions.Select(AgentOnNode.Details).ToLookup(d => d.GetProperty("rule_id").GetString());
        var toolBlock = byRule["block-tool"].First();
        Assert.Equal(blocked, toolBlock.GetProperty("file").GetProperty("path").GetString());
        Assert.Equal(Sha256(blocked), toolBlock.GetProperty("file").GetProperty("sha256").GetString());
        Assert.Equal("sha256", toolBlock.GetProperty("matched_by").GetString());
        Assert.Equal("blocked", toolBlock.GetProperty("process_status").GetString());
        Assert.Equal("PREVENTION_TARGET_EXECUTABLES", toolBlock.GetProperty("prevention_target").GetString());
        var audit = byRule["audit-tool"].First();
        Assert.Equal("allowed", audit.GetProperty("process_status").GetString());
        Assert.Equal("PREVENTION_MODE_AUDIT", audit.GetProperty("mode").GetString());
        Assert.Equal("path", audit.GetProperty("matched_by").GetString());
        Assert.Contains(byRule["audit-tool"], d => d.GetProperty("file").GetProperty("path").GetString() == renamed);
        var dropper = byRule["no-dropper"].ToList();
        Assert.Contains(dropper, d => d.GetProperty("prevention_target").GetString() == "PREVENTION_TARGET_SCRIPTS"
            && d.GetProperty("interpreter").GetProperty("path").GetString() == "/bin/sh");
        var documents = await h.WaitForEventsAsync($"EventType = \"DocumentBlocked\" AND AgentId = \"{agent}\"");
        var invoice = AgentOnNode.Details(documents[0]);
        Assert.Equal(document, invoice.GetProperty("file").GetProperty("path").GetString());
        Assert.Equal("/usr/bin/cat", invoice.GetProperty("application").GetProperty("path").GetString());
        Assert.Equal("md5", invoice.GetProperty("matched_by").GetString());

        // The agent reports the version it enforces.
        await WaitUntilAsync(async () => (await h.Cli.RunAsync("agents", "show", agent, "--json")).Stdout.Contains(version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal),
            "the agent to report the rule set version in sync");

        // A rule set with one bad rule is refused whole: the enforced one stays.
        var bad = await RuleFileAsync(dir, """{ "rules": [ { "id": "ok", "path": "/x/*" }, { "id": "broken", "sha256": "abc" } ] }""");
        var refused = await h.Cli.RunAsync("prevention", "set", "--agent", agent, "--file", bad);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("sha256 'abc' is not 64 hexadecimal digits", refused.Stderr, StringComparison.Ordinal);
        AssertRefused(await RunAsync(blocked));

        // An agent killed outright never leaves the machine stalled: the kernel lets everything through without it.
        // Started again, it enforces the stored rule set before anything else.
        h.Agent.Kill();
        Assert.Equal(0, (await RunAsync(blocked)).ExitCode);
        h.Agent.Start();
        await h.Agent.WaitForStatusAsync(s => s.GetProperty("connectionState").GetString() == "connected", TimeSpan.FromSeconds(30), Ct);
        AssertRefused(await RunAsync(blocked));

        // Replaced as a whole: the new set has only the audit rule, so the tool runs again.
        var replaced = await RuleFileAsync(dir, $$"""{ "rules": [ { "id": "audit-tool", "path": "{{dir}}/audited-*", "mode": "audit" } ] }""");
        Assert.Equal(0, (await h.Cli.RunAsync("prevention", "set", "--agent", agent, "--file", replaced, "--wait")).ExitCode);
        Assert.Equal(0, (await RunAsync(blocked)).ExitCode);
        Assert.Equal(0, (await CommandRunner.RunAsync("/bin/cat", [document], cancellationToken: Ct)).ExitCode);
        Assert.Equal(0, (await h.Cli.RunAsync("prevention", "clear", "--agent", agent, "--wait")).ExitCode);
    }

    private static void AssertRefused(ProcessResult result) =>
        Assert.True(result.ExitCode != 0 && result.Stderr.Contains("Operation not permitted", StringComparison.Ordinal), result.ToString());

    private static async Task<ProcessResult> RunAsync(string program) =>
        // Through a shell so a refused exec is the shell's error message, not an exception here.
        await CommandRunner.RunAsync("/bin/sh", ["-c", $"'{program}'"], cancellationToken: Ct);

    private static async Task<string> UniqueProgramAsync(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        var bytes = (await File.ReadAllBytesAsync("/bin/true", Ct)).Concat(Guid.NewGuid().ToByteArray()).ToArray();
        await File.WriteAllBytesAsync(path, bytes, Ct);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static async Task<string> RuleFileAsync(string dir, string json)
    {
        // Kept off the intercepted mount's rules' way: a name no rule matches.
        var path = Path.Combine(dir, $"rules-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json, Ct);
        return path;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(250, Ct);
        }
    }
}
