using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Osprey.Node.Configuration;
using Osprey.Node.Detection;
using Osprey.Node.Ingest;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Detection;

/// <summary>Batches whose streaming evaluation was skipped (their partition full) are evaluated later from the events database.</summary>
public sealed class DetectionCatchUpTests
{
    private const string AgentId = "7d3f1c2a-0000-4000-8000-00000000c0de";

    private const string PipeToShell = DetectionCalls.PipeToShellRule;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BatchesSkippedByAFullQueue_AreEvaluatedFromTheStore_TheirAlertsRaised_AndTheBacklogEmptied()
    {
        using var dir = new TempDirectory("osprey-catch-up");
        var nodeStore = new SqliteNodeStore(Path.Combine(dir.Path, "node.db"));
        nodeStore.Initialize();
        await using var events = new SqliteEventStore(Path.Combine(dir.Path, "events.db"), TimeProvider.System, NullLogger<SqliteEventStore>.Instance);
        events.Initialize();
        var compiled = new SigmaCompiler().Compile(PipeToShell, "pipe.yml")[0];
        nodeStore.UpsertRules([SigmaImport.ToStored(compiled, PipeToShell, "test", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000)]);
        var options = Options.Create(new NodeOptions
        {
            Listen = "127.0.0.1:0",
            Detection = new DetectionOptions { Partitions = 1, QueueBatches = 1, EnqueueWaitMs = 0, CatchUpIntervalMs = 50 },
        });
        await using var detection = new DetectionService(
            new DetectionRuleSet(nodeStore, NullLogger<DetectionRuleSet>.Instance), nodeStore, events, TimeProvider.System, options, NullLogger<DetectionService>.Instance);

        // Five batches, each a matching and a plain process start, stored as ingest stores them and handed to detection
        // before its worker runs: the first waits in the one-batch queue, the other four find it full.
        ulong sequence = 0;
        for (var b = 0; b < 5; b++)
        {
            Event[] batch = [Exec(++sequence, $"/bin/sh -c \"echo {b} | base64 -d | sh\""), Exec(++sequence, "/usr/bin/ls -la")];
            Assert.Equal(2, (await events.IngestAsync(AgentId, ReceivedBatch.Of(batch, AgentId), Ct)).Stored);
            Assert.Equal(b == 0, await detection.SubmitAsync(AgentId, batch, Ct));
        }
        var backlog = nodeStore.DetectionBacklog(10);
        Assert.Equal(4, backlog.Count);
        Assert.Equal((3L, 4L), (backlog[0].FirstSeq, backlog[0].LastSeq));
        Assert.Equal(8, detection.Counters.DroppedEvents);

        await detection.StartAsync(Ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (detection.Counters.CaughtUpEvents < 8 || nodeStore.DetectionBacklog(10).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"caught up on {detection.Counters.CaughtUpEvents} of 8 events; {nodeStore.DetectionBacklog(10).Count} backlog entries left");
            await Task.Delay(20, Ct);
        }

        // One alert (grouped per rule, agent and day) linking the five matching events: the queued one and the four caught up.
        var alert = Assert.Single(nodeStore.ListAlerts(new AlertFilter { AgentId = AgentId }));
        Assert.Equal(5, alert.Count);
        Assert.Equal(5, nodeStore.AlertEventIds(alert.AlertId, 100).Count);
        Assert.Equal(10, detection.Counters.EvaluatedEvents);
        Assert.Equal(8, detection.Counters.CaughtUpEvents);
    }

    private static Event Exec(ulong sequence, string commandLine) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Sequence = sequence,
        Type = EventType.ProcessStart,
        TimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 + (long)sequence,
        Device = new DeviceRef { HostName = "catch-up-host", AgentId = AgentId, OsFamily = OsFamily.Linux },
        User = new UserRef { Name = "root", Id = "0" },
        Process = new ProcessRef
        {
            UniquePid = sequence.ToString("x32", System.Globalization.CultureInfo.InvariantCulture), Pid = 4000 + (int)sequence, Name = "sh",
            File = new FileRef { Path = "/bin/sh" }, CommandLine = commandLine,
        },
        ProcessStart = new ProcessStartEvent { SpawnSyscall = "execve", Parent = new ProcessRef { Pid = 1, File = new FileRef { Path = "/usr/bin/bash" } } },
    };
}
