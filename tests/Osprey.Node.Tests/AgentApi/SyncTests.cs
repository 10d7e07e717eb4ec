using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.AgentApi;

public sealed class SyncTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sync_StoresDeviceInformationAndStatus()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync("host-b");
        var device = SyntheticEvents.Device("renamed-host");
        device.IpAddresses.Add("10.1.2.3");
        var status = new AgentStatus { QueueDepth = 42, DroppedEvents = 7, ConnectionState = "connected", Isolation = IsolationState.Off };
        status.CertificateErrors.Add(new CertificateError { Side = "server", NodeAddress = "https://old:8443", Message = "pin mismatch", TimeUs = 1_700_000_000_000_000 });

        await agent.SyncAsync(new SyncRequest { Device = device, Status = status }, Ct);

        using var client = node.Operator();
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/v1/agents/{agent.AgentId}", Ct);
        Assert.Equal("renamed-host", shown.GetProperty("hostName").GetString());
        Assert.Contains("10.1.2.3", shown.GetProperty("ipAddresses").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(42UL, shown.GetProperty("queueDepth").GetUInt64());
        Assert.Equal(7UL, shown.GetProperty("droppedEvents").GetUInt64());
        Assert.Contains("pin mismatch", shown.GetProperty("certificateErrors")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongPoll_ReturnsAsSoonAsATaskIsCreated_AndDoesNotRedeliverKnownTasks()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var clock = Stopwatch.StartNew();
        var poll = agent.SyncAsync(new SyncRequest { WaitSeconds = 30 }, Ct);
        await Task.Delay(500, Ct);
        Assert.False(poll.IsCompleted);

        using var client = node.Operator();
        using var created = await client.PostAsJsonAsync("/api/v1/tasks", new { type = "process-list", agents = new[] { agent.AgentId } }, Ct);
        created.EnsureSuccessStatusCode();
        var reply = await poll;

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"long poll took {clock.Elapsed}");
        var task = Assert.Single(reply.Tasks);
        Assert.Equal("process-list", task.Type);
        var again = await agent.SyncAsync(new SyncRequest { KnownTaskIds = { task.TaskId } }, Ct);
        Assert.Empty(again.Tasks);
    }

    [Fact]
    public async Task LongPoll_WithoutTasks_AnswersAfterTheWait()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var clock = Stopwatch.StartNew();

        var reply = await agent.SyncAsync(new SyncRequest { WaitSeconds = 1 }, Ct);

        Assert.Empty(reply.Tasks);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"answered after {clock.Elapsed}");
    }
}
