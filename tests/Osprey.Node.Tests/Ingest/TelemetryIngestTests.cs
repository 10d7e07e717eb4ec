using System.Net;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Osprey.Contracts.V1;
using Osprey.Node.Storage;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.Ingest;

public sealed class TelemetryIngestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<Event> Events(SimulatedAgent agent, ulong first, int count, int seed = 1)
    {
        var generator = new SyntheticEvents(agent.AgentId, "sim-host", seed);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        return [.. Enumerable.Range(0, count).Select(i => generator.Next(first + (ulong)i, now - count + i))];
    }

    private static Task<long> StoredAsync(TestNode node, string query = "") =>
        node.Services.GetRequiredService<IEventStore>().CountAsync(new EventQuery { Query = query }, CancellationToken.None);

    [Fact]
    public async Task Batch_IsAcknowledgedAndRedeliveryIsIdempotent()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var batch = Events(agent, 1, 500);

        var ack = await agent.SendAsync(batch, gzip: false, Ct);
        var again = await agent.SendAsync(batch, gzip: true, Ct);

        Assert.Equal(500UL, ack.AckedSequence);
        Assert.Equal(500U, ack.Stored);
        Assert.Equal(500UL, again.AckedSequence);
        Assert.Equal(0U, again.Stored);
        Assert.Equal(500U, again.Duplicates);
        Assert.Equal(500, await StoredAsync(node));
    }

    [Fact]
    public async Task Ack_IsHighestContiguousSequence_AndGapFillsLater()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var events = Events(agent, 1, 30);

        var first = await agent.SendAsync(events.Take(10), false, Ct);
        var afterGap = await agent.SendAsync(events.Skip(20), false, Ct);
        var filled = await agent.SendAsync(events.Skip(5).Take(15), false, Ct);

        Assert.Equal(10UL, first.AckedSequence);
        Assert.Equal(10UL, afterGap.AckedSequence);
        Assert.Equal(30UL, filled.AckedSequence);
        Assert.Equal(5U, filled.Duplicates);
        Assert.Equal(30, await StoredAsync(node));
    }

    [Fact]
    public async Task DropRecord_AccountsForDroppedSequences()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var generator = new SyntheticEvents(agent.AgentId, "sim-host", 3);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var drop = generator.Create(EventType.DataDropped, 101, now);
        drop.DataDropped = new DataDroppedEvent { FirstSequence = 1, LastSequence = 100, Count = 100, FirstTimeUs = now - 10, LastTimeUs = now - 1, Reason = "outbox size cap" };

        var ack = await agent.SendAsync([drop], false, Ct);

        Assert.Equal(101UL, ack.AckedSequence);
        Assert.Equal(1, await StoredAsync(node, "EventType = \"DataDropped\""));
    }

    [Fact]
    public async Task TruncatedProtobuf_IsRejected_AndNothingStored()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var batch = new TelemetryBatch();
        batch.Events.AddRange(Events(agent, 1, 50));
        var bytes = batch.ToByteArray();

        var (status, body) = await agent.PostRawAsync("/agent/v1/telemetry", bytes[..(bytes.Length - 7)], Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not a valid TelemetryBatch", body, StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(node));
    }

    [Fact]
    public async Task OutOfRangeSequence_IsRejected_AndNothingStored()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var events = Events(agent, 1, 10);
        events[9].Sequence = SqliteEventStore.MaxSequenceJump + 100;

        var e = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(events, false, Ct));
        var far = Events(agent, SqliteEventStore.MaxSequenceJump + 1, 3);
        var farError = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(far, false, Ct));
        events[9].Sequence = 0;
        var zero = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(events, false, Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Contains("out of range", farError.Body, StringComparison.Ordinal);
        Assert.Contains("sequence numbers", zero.Body, StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(node));
    }

    [Fact]
    public async Task OversizeBatch_IsRejected_AndNothingStored()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();

        var tooMany = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(Events(agent, 1, 10_001), false, Ct));
        var hugeEvent = Events(agent, 1, 1);
        hugeEvent[0].Process.CommandLine = new string('x', 2 * 1024 * 1024);
        var tooBig = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(hugeEvent, false, Ct));
        var bomb = await agent.PostGzipAsync("/agent/v1/telemetry", new byte[40 * 1024 * 1024], Ct);

        Assert.Contains("at most 10000", tooMany.Body, StringComparison.Ordinal);
        Assert.Contains("larger than", tooBig.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bomb.Status);
        Assert.Contains("larger than 33554432 bytes", bomb.Body, StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(node));
    }

    [Fact]
    public async Task MismatchedPayload_RejectsWholeBatch()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var events = Events(agent, 1, 20);
        events[13].Type = events[13].Type == EventType.DnsQuery ? EventType.PortListen : EventType.DnsQuery;

        var e = await Assert.ThrowsAsync<AgentApiException>(() => agent.SendAsync(events, false, Ct));

        Assert.Contains("event 13", e.Body, StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(node));
    }

    [Fact]
    public async Task StoredEvent_CarriesTypedColumnsAndAuthenticatedAgentId()
    {
        await using var node = await TestNode.StartAsync();
        using var agent = await node.EnrollAsync();
        var events = Events(agent, 1, 200);
        foreach (var e in events)
        {
            e.Device.AgentId = "spoofed";
        }
        await agent.SendAsync(events, false, Ct);
        var start = events.First(e => e.Type == EventType.ProcessStart);

        var page = await node.Services.GetRequiredService<IEventStore>().SearchAsync(
            new EventQuery { Query = $"UniquePid = \"{start.Process.UniquePid}\" AND EventType = \"ProcessStart\"" }, Ct);

        var stored = Assert.Single(page.Events);
        Assert.Equal(agent.AgentId, stored.AgentId);
        Assert.Equal(start.Process.CommandLine, stored.CommandLine);
        Assert.Equal(start.Process.File.Sha256, stored.Sha256);
        Assert.Equal(start.ParentUniquePid, stored.ParentUniquePid);
        Assert.Equal((long)start.Sequence, stored.Sequence);
        Assert.Equal(0, await StoredAsync(node, "AgentId = \"spoofed\""));
    }
}
