using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Detection;

/// <summary>Events as an agent sends them, and alerts read back through the operator API, for the detection tests.</summary>
internal static class DetectionCalls
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A Sigma rule on a base64-decoded command piped into a shell (command line contains 'base64 -d', ends with '| sh').</summary>
    public const string PipeToShellRule = """
        title: Base64 Pipe To Shell (test)
        id: 11111111-2222-3333-4444-555555555555
        status: test
        level: high
        tags:
            - attack.execution
            - attack.t1059.004
        logsource:
            product: linux
            category: process_creation
        detection:
            selection:
                CommandLine|contains: 'base64 -d'
                CommandLine|endswith: '| sh'
            condition: selection
        """;

    public static Event Exec(SimulatedAgent agent, ulong sequence, string commandLine, string image = "/bin/sh") => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Sequence = sequence,
        Type = EventType.ProcessStart,
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        Device = new DeviceRef { HostName = "sim-host", AgentId = agent.AgentId, OsFamily = OsFamily.Linux },
        User = new UserRef { Name = "root", Id = "0" },
        Process = new ProcessRef { UniquePid = new string('b', 32), Pid = 4242, Name = Path.GetFileName(image), File = new FileRef { Path = image }, CommandLine = commandLine },
        ProcessStart = new ProcessStartEvent { SpawnSyscall = "execve", Parent = new ProcessRef { UniquePid = new string('c', 32), Pid = 1, File = new FileRef { Path = "/usr/bin/bash" } } },
    };

    public static Event CronCreate(SimulatedAgent agent, ulong sequence, string path) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Sequence = sequence,
        Type = EventType.FileCreate,
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        Device = new DeviceRef { HostName = "sim-host", AgentId = agent.AgentId, OsFamily = OsFamily.Linux },
        Process = new ProcessRef { UniquePid = new string('d', 32), Pid = 77, File = new FileRef { Path = "/usr/bin/touch" } },
        FileCreate = new FileEvent { File = new FileRef { Path = path, Name = Path.GetFileName(path) }, Changes = { "created" } },
    };

    public static async Task<List<JsonElement>> AlertsAsync(HttpClient client, string query = "") =>
        [.. (await client.GetFromJsonAsync<JsonElement>("/api/v1/alerts" + query, Ct)).EnumerateArray()];

    /// <summary>Polls until <paramref name="done"/> holds for the alerts (5 s, the requirement end to end).</summary>
    public static async Task<List<JsonElement>> WaitForAlertsAsync(HttpClient client, Func<List<JsonElement>, bool> done, string query = "")
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var alerts = await AlertsAsync(client, query);
            if (done(alerts))
            {
                return alerts;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"alerts after 5 s: {JsonSerializer.Serialize(alerts)}");
            await Task.Delay(50, Ct);
        }
    }

    public static async Task<string> CreateUserAsync(HttpClient admin, string name, string role)
    {
        using var response = await admin.PostAsJsonAsync("/api/v1/users", new { name, role }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
    }
}
