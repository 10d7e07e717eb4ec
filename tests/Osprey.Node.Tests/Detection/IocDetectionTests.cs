using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;
using static Osprey.Node.Tests.Detection.DetectionCalls;

namespace Osprey.Node.Tests.Detection;

/// <summary>OpenIOC rules on the node: on the live stream, retrospectively over the events database, and as a hunting search.</summary>
public sealed class IocDetectionTests
{
    private const string Md5 = "0123456789abcdef0123456789abcdef";

    // One indicator per kind of evidence telemetry carries, plus one on a term it does not (never matches, warned).
    private const string Rules = """
        <?xml version="1.0" encoding="utf-8"?>
        <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="11111111-aaaa-4bbb-8ccc-000000000001" last-modified="2024-01-01T00:00:00Z" published-date="0001-01-01T00:00:00">
          <metadata><short_description>Miner kit</short_description><authored_date>2024-01-01T00:00:00Z</authored_date></metadata>
          <criteria>
            <Indicator operator="OR" id="root">
              <IndicatorItem id="hash" condition="is"><Context document="FileItem" search="FileItem/Md5sum" type="mir"/><Content type="md5">0123456789ABCDEF0123456789ABCDEF</Content></IndicatorItem>
              <Indicator operator="AND" id="miner">
                <IndicatorItem id="miner-name" condition="is"><Context document="ProcessItem" search="ProcessItem/name" type="mir"/><Content type="string">xmrig</Content></IndicatorItem>
                <IndicatorItem id="miner-args" condition="contains" preserve-case="true"><Context document="ProcessItem" search="ProcessItem/arguments" type="mir"/><Content type="string">--donate-level</Content></IndicatorItem>
              </Indicator>
              <IndicatorItem id="c2-port" condition="is"><Context document="PortItem" search="PortItem/remotePort" type="mir"/><Content type="int">4444</Content></IndicatorItem>
              <IndicatorItem id="reg" condition="contains"><Context document="RegistryItem" search="RegistryItem/Path" type="mir"/><Content type="string">Run</Content></IndicatorItem>
            </Indicator>
          </criteria>
        </OpenIOC>
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Event Connect(SimulatedAgent agent, ulong sequence, int port) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Sequence = sequence,
        Type = EventType.NetworkConnection,
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        Device = new DeviceRef { HostName = "sim-host", AgentId = agent.AgentId, OsFamily = OsFamily.Linux },
        Process = new ProcessRef { UniquePid = new string('e', 32), Pid = 900, Name = "nc", File = new FileRef { Path = "/usr/bin/nc" } },
        NetworkConnection = new NetworkConnectionEvent { LocalIp = "10.0.0.5", LocalPort = 50000, RemoteIp = "203.0.113.9", RemotePort = port, Protocol = "tcp" },
    };

    /// <summary>Seven events: three each indicator matches, and near misses (case of the arguments, another port, another hash).</summary>
    private static List<Event> Activity(SimulatedAgent agent)
    {
        var planted = Exec(agent, 1, "/tmp/.x/run", "/tmp/.x/run");
        planted.Process.File.Md5 = Md5;
        var other = Exec(agent, 2, "/usr/bin/true", "/usr/bin/true");
        other.Process.File.Md5 = "ffffffffffffffffffffffffffffffff";
        var miner = Exec(agent, 3, "xmrig -o pool:3333 --donate-level 1", "/opt/xmrig");
        miner.Process.Name = "xmrig";
        var wrongCase = Exec(agent, 4, "xmrig --DONATE-LEVEL 1", "/opt/xmrig");
        wrongCase.Process.Name = "xmrig";
        return [planted, other, miner, wrongCase, Connect(agent, 5, 4444), Connect(agent, 6, 443), Connect(agent, 7, 44444)];
    }

    private static async Task<JsonElement> ImportAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/import", new { kind = "ioc", files = new[] { new { name = "miner.ioc", content = Rules } } }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static HashSet<string> Summaries(IEnumerable<JsonElement> alerts) => [.. alerts.Select(a => a.GetProperty("summary").GetString()!)];

    [Fact]
    public async Task OnTheStream_AHashAProcessAndAPort_RaiseIocAlerts_NearMissesDoNot()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await ImportAsync(client);

        await agent.SendAsync(Activity(agent), false, Ct);
        var alert = Assert.Single(await WaitForAlertsAsync(client, a => a.Count == 1 && a[0].GetProperty("count").GetInt64() == 3));

        Assert.Equal("ioc", alert.GetProperty("technology").GetString());
        Assert.Equal("ioc-11111111-aaaa-4bbb-8ccc-000000000001", alert.GetProperty("ruleId").GetString());
        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/v1/alerts/{alert.GetProperty("alertId").GetString()}", Ct);
        var linked = detail.GetProperty("events").EnumerateArray().Select(e => (long)e.GetProperty("sequence").GetUInt64()).Order().ToList();
        Assert.Equal([1L, 3L, 5L], linked);
    }

    [Fact]
    public async Task Retrospectively_StoredEventsMatchedOnce_AndASearchByAnUploadedFile_ListsThem()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        await agent.SendAsync(Activity(agent), false, Ct);
        var rule = (await ImportAsync(client)).GetProperty("rules")[0].GetProperty("ruleId").GetString();

        using var retro = await client.PostAsJsonAsync("/api/v1/rules/ioc/retro", new { ruleIds = new[] { rule } }, Ct);
        var first = await retro.Content.ReadFromJsonAsync<JsonElement>(Ct);
        using var again = await client.PostAsJsonAsync("/api/v1/rules/ioc/retro", new { }, Ct);
        var second = await again.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.OK, retro.StatusCode);
        Assert.Equal(3, first.GetProperty("matched").GetInt64());
        // The index selects by value (the hash, the process name, the port): the three matches and the miner whose arguments
        // differ in case, which the evaluator then refuses; never the other hash or ports.
        Assert.Equal(4, first.GetProperty("candidates").GetInt64());
        Assert.Equal(1, first.GetProperty("alertsCreated").GetInt64());
        var indicator = Assert.Single(first.GetProperty("indicators").EnumerateArray());
        Assert.Equal(("root", 3L), (indicator.GetProperty("indicatorId").GetString(), indicator.GetProperty("events").GetInt64()));
        Assert.Equal(0, second.GetProperty("alertsCreated").GetInt64() + second.GetProperty("alertsUpdated").GetInt64());
        var alert = Assert.Single(await AlertsAsync(client));
        Assert.Equal(3, alert.GetProperty("count").GetInt64());

        using var search = await client.PostAsJsonAsync("/api/v1/events/search-ioc", new { name = "miner.ioc", content = Rules }, Ct);
        var found = await search.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(HttpStatusCode.OK, search.StatusCode);
        var branches = found.GetProperty("events").EnumerateArray().Select(e => string.Join(",", e.GetProperty("branch").EnumerateArray().Select(b => b.GetString()))).Order(StringComparer.Ordinal);
        Assert.Equal(["root,c2-port", "root,hash", "root,miner,miner-name,miner-args"], branches);
        Assert.Contains(found.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("RegistryItem/Path", StringComparison.Ordinal));
        Assert.Single(await AlertsAsync(client));

        using var broken = await client.PostAsJsonAsync("/api/v1/events/search-ioc", new { name = "x.ioc", content = "<ioc" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        using var missing = await client.PostAsJsonAsync("/api/v1/rules/ioc/retro", new { ruleIds = new[] { "ioc-nope" } }, Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task AnIocScanReport_RaisesAnAlertPerDetectedIndicator_UnderTheImportedRule()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();
        using var agent = await node.EnrollAsync();
        var rule = (await ImportAsync(client)).GetProperty("rules")[0].GetProperty("ruleId").GetString();
        var content = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Rules));
        using var created = await client.PostAsJsonAsync("/api/v1/tasks", new
        {
            type = "ioc-scan",
            agents = new[] { agent.AgentId },
            @params = new { iocFiles = new[] { new { name = "miner.ioc", content } } },
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var task = Assert.Single((await agent.SyncAsync(new SyncRequest(), Ct)).Tasks);

        var result = new IocScanResult
        {
            Indicators =
            {
                new IndicatorResult { IocFileName = "miner.ioc", IndicatorId = "root", Detected = true, MatchedBranch = { "root", "hash" }, Objects = { new IocObject { File = new FileItem { FullPath = "/tmp/.x/run", Md5 = Md5 } } } },
            },
        };
        var report = new TaskReport { TaskId = task.TaskId, Status = "completed", CompletedUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, Run = 1, IocScan = result };
        await agent.CallAsync("/agent/v1/reports", new TaskReportBatch { Reports = { report } }, false, Ct);

        var alert = Assert.Single(await AlertsAsync(client));
        Assert.Equal(rule, alert.GetProperty("ruleId").GetString());
        Assert.Equal("ioc", alert.GetProperty("technology").GetString());
        Assert.Equal(agent.AgentId, alert.GetProperty("agentId").GetString());
        Assert.Contains("root > hash", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Contains("/tmp/.x/run", alert.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }
}
