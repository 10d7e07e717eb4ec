using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Osprey.Node.Tests.Support;
using static Osprey.Node.Tests.ObjectStorage.UploadCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>YARA rules imported through the operator API and applied to objects an agent uploads into Storage.</summary>
public sealed class YaraStorageDetectionTests
{
    private const string Dropper = """
        rule Test_Dropper : linux dropper
        {
            strings:
                $a = "OSPREY-YARA-STORAGE-MARKER"
                $b = { 7F 45 4C 46 }
            condition:
                $b at 0 and $a
        }
        """;

    private const string Broken = "rule ok { condition: true }\n\nrule broken\n{\n  condition:\n    $missing\n}\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ImportAsync(HttpClient client, params (string Name, string Content)[] files)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/import", new { kind = "yara", files = files.Select(f => new { name = f.Name, content = f.Content }) }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static async Task<string> UploadAsync(Osprey.Testing.Simulator.SimulatedAgent agent, byte[] content, string name)
    {
        var state = await AgentBeginAsync(agent, content, name, "task-yara", Ct);
        await SendFromAsync(agent.Http, $"/agent/v1/uploads/{state.UploadId}", content, (long)state.Offset, 64 * 1024, Ct);
        var done = await AgentCompleteAsync(agent, state.UploadId, Ct);
        Assert.True(done.Complete);
        return done.Sha256;
    }

    [Fact]
    public async Task Import_CompilesEachFile_InvalidOnesKeptWithFileAndLine()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();

        var result = await ImportAsync(client, ("dropper.yar", Dropper), ("broken.yar", Broken));

        Assert.Equal(1, result.GetProperty("compiled").GetInt32());
        Assert.Equal(1, result.GetProperty("invalid").GetInt32());
        var rules = result.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        // The line libyara (and the yara command) names: the end of the condition.
        Assert.StartsWith("broken.yar:7: ", rules["broken.yar"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("dropper.yar: Test_Dropper", rules["dropper.yar"].GetProperty("title").GetString());
        var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v1/rules?kind=yara", Ct)).EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.True(listed["dropper.yar"].GetProperty("enabled").GetBoolean());
        Assert.False(listed["broken.yar"].GetProperty("enabled").GetBoolean());
        using var enable = await client.PostAsync($"/api/v1/rules/{listed["broken.yar"].GetProperty("ruleId").GetString()}/enable", null, Ct);
        Assert.Equal(HttpStatusCode.Conflict, enable.StatusCode);
    }

    [Fact]
    public async Task ObjectMatchingARule_RaisesAYaraAlertOnTheUploadingAgent_OthersDoNot()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(client, ("dropper.yar", Dropper));
        byte[] clean = [0x7F, .. "ELF"u8, .. Encoding.ASCII.GetBytes(new string('x', 5000))];
        byte[] bad = [0x7F, .. "ELF"u8, .. Encoding.ASCII.GetBytes(new string('y', 70_000) + "OSPREY-YARA-STORAGE-MARKER")];

        await UploadAsync(agent, clean, "clean.bin");
        var sha256 = await UploadAsync(agent, bad, "implant.bin");

        var alert = await WaitForAlertAsync(client);
        Assert.Equal("yara", alert.GetProperty("technology").GetString());
        Assert.Equal("Test_Dropper", alert.GetProperty("ruleTitle").GetString());
        Assert.Equal(agent.AgentId, alert.GetProperty("agentId").GetString());
        Assert.Equal("high", alert.GetProperty("importance").GetString());
        var summary = alert.GetProperty("summary").GetString()!;
        Assert.Contains("implant.bin", summary, StringComparison.Ordinal);
        Assert.Contains(sha256, summary, StringComparison.Ordinal);
        await Task.Delay(500, Ct);
        Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/alerts", Ct)).EnumerateArray());
    }

    [Fact]
    public async Task DisabledRule_RaisesNothing()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        var imported = await ImportAsync(client, ("dropper.yar", Dropper), ("other.yar", "rule Test_Other { strings: $a = \"OSPREY-OTHER\" condition: $a }"));
        var dropperId = imported.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("source").GetString() == "dropper.yar").GetProperty("ruleId").GetString();
        using (var disable = await client.PostAsync($"/api/v1/rules/{dropperId}/disable", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        // One worker scans objects in order: once the second one's alert is there, the first was scanned.
        await UploadAsync(agent, [0x7F, .. "ELF OSPREY-YARA-STORAGE-MARKER"u8], "implant.bin");
        await UploadAsync(agent, [.. "OSPREY-OTHER"u8], "other.txt");

        var alert = await WaitForAlertAsync(client);
        Assert.Equal("Test_Other", alert.GetProperty("ruleTitle").GetString());
        Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/alerts", Ct)).EnumerateArray());
    }

    private static async Task<JsonElement> WaitForAlertAsync(HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var alerts = (await client.GetFromJsonAsync<JsonElement>("/api/v1/alerts", Ct)).EnumerateArray().ToList();
            if (alerts.Count > 0)
            {
                return alerts[0];
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no alert within 10 s");
            await Task.Delay(50, Ct);
        }
    }
}
