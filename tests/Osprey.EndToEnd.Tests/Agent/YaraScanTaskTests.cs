using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Osprey.Contracts.Identity;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;
using static Osprey.EndToEnd.Tests.Agent.AgentTaskTests;

namespace Osprey.EndToEnd.Tests.Agent;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
/// <summary>"osprey tasks create yara-scan" through the CLI against a real node and agent: a planted file and a marker in a process's memory.</summary>
public sealed class YaraScanTaskTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task YaraScan_FindsAPlantedFileAndAMarkerInAProcessesMemory()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var rulesDir = new TempDirectory("osprey-yara-rules");
        using var tree = new TempDirectory("osprey-yara-tree");
        var marker = "OSPREY-E2E-" + Guid.NewGuid().ToString("N")[..12];
        // The marker as hex, so the rule text itself (in the test's and the agent's memory) does not hold it.
        var hex = string.Join(' ', Encoding.ASCII.GetBytes(marker).Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
        var rules = Path.Combine(rulesDir.Path, "e2e.yar");
        await File.WriteAllTextAsync(rules, $"rule E2E_Marker : e2e {{ strings: $m = {{ {hex} }} condition: $m }}\nrule E2E_Never {{ condition: false }}\n", Ct);
        Directory.CreateDirectory(Path.Combine(tree.Path, "sub"));
        var planted = Path.Combine(tree.Path, "sub", "implant.bin");
        var content = Encoding.ASCII.GetBytes(new string('z', 1000) + marker + "tail");
        await File.WriteAllBytesAsync(planted, content, Ct);
        await File.WriteAllTextAsync(Path.Combine(tree.Path, "clean.txt"), "nothing", Ct);
        using var holder = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep 120; echo {marker}"]))!;
        try
        {
            var uniquePid = UniquePid.Compute(h.Agent.AgentId!, File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), holder.Id, StartTicks(holder.Id));

            var task = await CreateAndWaitAsync(h, "yara-scan", "--rules", rules, "--path", tree.Path, "--recursive", "--pid-unique", uniquePid);

            Assert.Equal("completed", task.GetProperty("state").GetString());
            var result = Result(task, "yaraScan");
            Assert.Equal("2", result.GetProperty("filesScanned").GetString());
            Assert.Equal("1", result.GetProperty("processesScanned").GetString());
            var ruleResults = result.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("ruleName").GetString()!);
            Assert.False(ruleResults["E2E_Never"].TryGetProperty("triggered", out _));
            var hit = ruleResults["E2E_Marker"];
            Assert.True(hit.GetProperty("triggered").GetBoolean());
            Assert.Equal("e2e.yar", hit.GetProperty("ruleFileName").GetString());
            Assert.Equal(["e2e"], hit.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            var objects = hit.GetProperty("objects").EnumerateArray().ToList();
            Assert.Equal(2, objects.Count);
            var file = Assert.Single(objects, o => o.TryGetProperty("file", out _));
            Assert.Equal(planted, file.GetProperty("file").GetProperty("fullPath").GetString());
            Assert.Equal(await Sha256SumAsync(planted), file.GetProperty("file").GetProperty("sha256").GetString());
            var fileString = file.GetProperty("strings")[0];
            Assert.Equal("$m", fileString.GetProperty("identifier").GetString());
            Assert.Equal("1000", fileString.GetProperty("offset").GetString());
            Assert.Equal(marker.Length, fileString.GetProperty("length").GetInt32());
            Assert.Equal(marker, Encoding.ASCII.GetString(Convert.FromBase64String(fileString.GetProperty("data").GetString()!)));
            var process = Assert.Single(objects, o => o.TryGetProperty("process", out _)).GetProperty("process");
            Assert.Equal(holder.Id, process.GetProperty("pid").GetInt32());
            Assert.Equal(uniquePid, process.GetProperty("uniquePid").GetString());
            Assert.False(holder.HasExited);

            // The same scan printed for a person: the rule, the file with its string offset, the process.
            var printed = await h.Cli.RunAsync("tasks", "create", "yara-scan", "--agent", h.Agent.AgentId!, "--rules", rulesDir.Path, "--path", tree.Path, "--recursive",
                "--pid-unique", uniquePid, "--wait", "--wait-timeout", "60s");
            Assert.True(printed.ExitCode == 0, printed.ToString());
            Assert.Contains("E2E_Marker (e2e.yar) [e2e]", printed.Stdout, StringComparison.Ordinal);
            Assert.Contains($"file {planted} ", printed.Stdout, StringComparison.Ordinal);
            Assert.Contains("$m@0x3e8", printed.Stdout, StringComparison.Ordinal);
            Assert.Contains($"process {holder.Id} ", printed.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            holder.Kill();
        }
    }

    [Fact]
    public async Task YaraScan_RulesThatDoNotCompile_AreRefusedWithFileAndLine()
    {
        await using var h = await AgentOnNode.StartAsync(["mount"], null, Ct);
        using var rulesDir = new TempDirectory("osprey-yara-rules");
        await File.WriteAllTextAsync(Path.Combine(rulesDir.Path, "good.yar"), "rule good { condition: true }\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(rulesDir.Path, "bad.yar"), "rule bad\n{\n  condition:\n    nonsense\n}\n", Ct);

        var refused = await h.Cli.RunAsync("tasks", "create", "yara-scan", "--agent", h.Agent.AgentId!, "--rules", rulesDir.Path, "--path", "/tmp");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(refused.Stderr.Contains("bad.yar:4: undefined identifier \"nonsense\"", StringComparison.Ordinal), refused.Stderr);
        var tasks = await h.Cli.RunAsync("tasks", "list", "--json");
        Assert.Empty(JsonDocument.Parse(tasks.Stdout).RootElement.EnumerateArray());

        // Imported on the node, the good file is a rule the scan can name by ID; the bad one is kept invalid with its line.
        var import = await h.Cli.RunAsync("rules", "import", "yara", rulesDir.Path, "--json");
        Assert.True(import.ExitCode == 0, import.ToString());
        var imported = JsonDocument.Parse(import.Stdout).RootElement;
        Assert.Equal((1, 1), (imported.GetProperty("compiled").GetInt32(), imported.GetProperty("invalid").GetInt32()));
        var outcomes = imported.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.StartsWith("bad.yar:4: ", outcomes["bad.yar"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        using var tree = new TempDirectory("osprey-yara-tree");
        await File.WriteAllTextAsync(Path.Combine(tree.Path, "any"), "x", Ct);
        var task = await CreateAndWaitAsync(h, "yara-scan", "--rule-id", outcomes["good.yar"].GetProperty("ruleId").GetString()!, "--path", tree.Path);
        Assert.Equal("completed", task.GetProperty("state").GetString());
        var good = Assert.Single(Result(task, "yaraScan").GetProperty("rules").EnumerateArray());
        Assert.Equal(("good", "good.yar"), (good.GetProperty("ruleName").GetString(), good.GetProperty("ruleFileName").GetString()));
        Assert.True(good.GetProperty("triggered").GetBoolean());
    }
}
