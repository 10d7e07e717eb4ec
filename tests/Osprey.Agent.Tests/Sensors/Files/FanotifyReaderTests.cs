using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Files;
using Osprey.Agent.Tests.Support;
using static Osprey.Agent.Tests.Sensors.Files.FanotifyRecords;

namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>The reader on synthetic kernel data: losses are counted, bad data is skipped, nothing throws.</summary>
public sealed class FanotifyReaderTests
{
    private static (FanotifyReader Reader, List<FileChange> Changes, List<(long Count, string Reason)> Losses, SensorHarness Harness) NewReader()
    {
        var harness = new SensorHarness(new FileSensor());
        var changes = new List<FileChange>();
        var losses = new List<(long, string)>();
        harness.Context.Health.LossReported += (_, count, reason) => losses.Add((count, reason));
        var reader = new FanotifyReader(harness.Context, _ => null, new PathFilter(["/"], []), new FileSensorOptions(), changes.Add);
        return (reader, changes, losses, harness);
    }

    [Fact]
    public async Task QueueOverflow_IsReportedAsALoss()
    {
        var (reader, changes, losses, harness) = NewReader();
        await using (harness)
        {
            reader.Process(Event(Fanotify.QueueOverflow, 0));
            Assert.Equal(1, harness.Context.Health.Lost);
            Assert.Contains("overflowed", Assert.Single(losses).Reason, StringComparison.Ordinal);
            Assert.Empty(changes);
        }
    }

    [Fact]
    public async Task MalformedData_IsCountedAndSkipped_AndTheEventsAroundItStillCount()
    {
        var (reader, _, losses, harness) = NewReader();
        await using (harness)
        {
            var badRecord = Event(Fanotify.Create, 1, [1, 0, 0, 0]);
            reader.Process(Concat(Event(Fanotify.QueueOverflow, 0), badRecord, Event(Fanotify.QueueOverflow, 0), [1, 2, 3]));
            Assert.Equal(2, reader.Malformed);
            Assert.Equal(4, harness.Context.Health.Lost);
            Assert.Equal(["overflowed", "unreadable", "overflowed", "unreadable"], losses.Select(l => l.Reason.Contains("overflowed", StringComparison.Ordinal) ? "overflowed" : "unreadable"));
        }
    }

    [Fact]
    public async Task EventsOnAnUnknownFilesystem_AreDroppedAsUnresolved()
    {
        var (reader, changes, _, harness) = NewReader();
        await using (harness)
        {
            reader.Process(Event(Fanotify.Create, 1, Fid(2, 77, [1, 2, 3, 4, 5, 6, 7, 8], "x"), Fid(1, 77, [1, 2, 3, 4, 5, 6, 7, 8])));
            Assert.Empty(changes);
            Assert.Equal(1, reader.Unresolved);
            Assert.Equal(0, harness.Context.Health.Lost);
        }
    }
}
