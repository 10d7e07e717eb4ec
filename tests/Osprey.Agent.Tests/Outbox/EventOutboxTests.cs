using Osprey.Testing.Time;
using Osprey.Agent.Outbox;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Outbox;

public sealed class EventOutboxTests : IDisposable
{
    private readonly TempDirectory _dir = new("osprey-outbox-test");
    private readonly ManualClock _time = new(DateTimeOffset.Parse("2026-11-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private string DbPath => Path.Combine(_dir.Path, "outbox.db");

    private EventOutbox Open(long maxBytes = 1L << 30, int days = 21) => EventOutbox.Open(DbPath, new OutboxLimits(TimeSpan.FromDays(days), maxBytes), _time);

    private Event Telemetry(string name, int padding = 0) => new()
    {
        EventId = Guid.NewGuid().ToString("D"),
        Type = EventType.DnsQuery,
        TimeUs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000,
        DnsQuery = new DnsQueryEvent { Name = name + new string('x', padding) },
    };

    [Fact]
    public void Append_GivesConsecutiveSequencesThatSurviveReopening()
    {
        using (var outbox = Open())
        {
            outbox.Append([Telemetry("a"), Telemetry("b")]);
            outbox.Append([Telemetry("c")]);
        }
        using var reopened = Open();
        var entries = reopened.Read(0, 100);
        Assert.Equal([1UL, 2UL, 3UL], entries.Select(e => e.Sequence));
        Assert.Equal(["a", "b", "c"], entries.Select(e => Event.Parser.ParseFrom(e.Body).DnsQuery.Name));
        Assert.All(entries, e => Assert.Equal(e.Sequence, Event.Parser.ParseFrom(e.Body).Sequence));
        reopened.Append([Telemetry("d")]);
        Assert.Equal(4UL, reopened.Read(3, 10).Single().Sequence);
    }

    [Fact]
    public void Acknowledge_RemovesOnlyWhatTheNodeHolds_AndSequencesNeverRestart()
    {
        using (var outbox = Open())
        {
            outbox.Append([Telemetry("a"), Telemetry("b"), Telemetry("c")]);
            outbox.Acknowledge(2);
            Assert.Equal([3UL], outbox.Read(0, 10).Select(e => e.Sequence));
            Assert.Equal(1, outbox.Statistics().Depth);
            outbox.Acknowledge(3);
            Assert.Equal(0, outbox.Statistics().Depth);
        }
        using var reopened = Open();
        reopened.Append([Telemetry("d")]);
        Assert.Equal(4UL, reopened.Read(0, 10).Single().Sequence);
    }

    [Fact]
    public void OverTheSizeLimit_OldestTelemetryIsDropped_AndADropRecordNamesIt()
    {
        using var outbox = Open(maxBytes: 1 << 20);
        for (var i = 0; i < 40; i++)
        {
            outbox.Append([Telemetry($"e{i}", padding: 60_000)]);
        }
        var stats = outbox.Statistics();
        Assert.True(stats.Bytes <= 1 << 20, $"outbox holds {stats.Bytes} bytes");
        var entries = outbox.Read(0, 1000);
        var drops = entries.Select(e => Event.Parser.ParseFrom(e.Body)).Where(e => e.Type == EventType.DataDropped).ToList();
        Assert.NotEmpty(drops);
        var remainingTelemetry = entries.Select(e => Event.Parser.ParseFrom(e.Body)).Where(e => e.Type == EventType.DnsQuery).ToList();
        // What was dropped is the oldest: the drop ranges cover 1..N and the rest follow without a gap.
        var covered = drops.SelectMany(d => Enumerable.Range((int)d.DataDropped.FirstSequence, (int)(d.DataDropped.LastSequence - d.DataDropped.FirstSequence + 1))).ToHashSet();
        Assert.Equal(stats.DroppedTotal, drops.Sum(d => (long)d.DataDropped.Count));
        Assert.Equal(40, covered.Count + remainingTelemetry.Count);
        Assert.True(remainingTelemetry.Min(e => e.Sequence) > (ulong)covered.Max());
        Assert.All(drops, d => Assert.True(d.Sequence > d.DataDropped.LastSequence));
    }

    [Fact]
    public void ManySmallEventsOverTheCap_StayUnderIt_DropRecordsIncluded_WithFewDropRecords()
    {
        using var outbox = Open(maxBytes: 1 << 20);
        for (var i = 0; i < 2_000; i++)
        {
            outbox.Append([.. Enumerable.Range(0, 10).Select(j => Telemetry($"e{i}-{j}"))]);
            Assert.True(outbox.Statistics().Bytes <= 1 << 20, $"outbox holds {outbox.Statistics().Bytes} bytes after append {i}");
        }
        var events = outbox.Read(0, 100_000).Select(e => Event.Parser.ParseFrom(e.Body)).ToList();
        var drops = events.Where(e => e.Type == EventType.DataDropped).ToList();
        // Each drop frees a tenth of the cap, so the ~2 MB beyond it take about twenty drops, not one per append.
        Assert.InRange(drops.Count, 1, 40);
        Assert.Equal(outbox.Statistics().DroppedTotal, drops.Sum(d => (long)d.DataDropped.Count));
        Assert.Equal(20_000, drops.Sum(d => (long)d.DataDropped.Count) + events.Count(e => e.Type == EventType.DnsQuery));
    }

    [Fact]
    public void KeptRecordsSurviveWhileTelemetryCanBeDropped_AndRunsDoNotCoverThem()
    {
        using var outbox = Open(maxBytes: 1 << 20);
        outbox.Append([Telemetry("old", padding: 60_000)]);
        outbox.Append([new Event { EventId = "threat", Type = EventType.ThreatDetected, TimeUs = 1, ThreatDetected = new ThreatDetectedEvent { ThreatName = "EICAR" } }]);
        for (var i = 0; i < 30; i++)
        {
            outbox.Append([Telemetry($"e{i}", padding: 60_000)]);
        }
        var events = outbox.Read(0, 1000).Select(e => Event.Parser.ParseFrom(e.Body)).ToList();
        var threat = Assert.Single(events, e => e.Type == EventType.ThreatDetected);
        Assert.Equal(2UL, threat.Sequence);
        Assert.All(events.Where(e => e.Type == EventType.DataDropped),
            d => Assert.False(d.DataDropped.FirstSequence <= 2 && d.DataDropped.LastSequence >= 2, "a drop record covers the kept detection"));
    }

    [Fact]
    public void OverTheAgeLimit_OldEventsAreDropped()
    {
        using var outbox = Open(days: 21);
        outbox.Append([Telemetry("ancient")]);
        _time.Advance(TimeSpan.FromDays(22));
        outbox.Append([Telemetry("fresh")]);
        var events = outbox.Read(0, 10).Select(e => Event.Parser.ParseFrom(e.Body)).ToList();
        Assert.DoesNotContain(events, e => e.DnsQuery?.Name == "ancient");
        var drop = Assert.Single(events, e => e.Type == EventType.DataDropped);
        Assert.Equal(1UL, drop.DataDropped.FirstSequence);
        Assert.Contains("age limit", drop.DataDropped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reject_ReplacesOneEventWithADropRecord()
    {
        using var outbox = Open();
        outbox.Append([Telemetry("a"), Telemetry("poison"), Telemetry("c")]);
        var poison = outbox.Read(1, 1).Single();
        outbox.Reject(poison, "the node refused it");
        var events = outbox.Read(0, 10).Select(e => Event.Parser.ParseFrom(e.Body)).ToList();
        Assert.Equal([1UL, 3UL, 4UL], events.Select(e => e.Sequence));
        Assert.Equal((2UL, 2UL), (events[2].DataDropped.FirstSequence, events[2].DataDropped.LastSequence));
    }

    [Fact]
    public void AnOutboxOfAnotherFormatIsRefusedWithAClearError()
    {
        using (var outbox = Open())
        {
            outbox.Append([Telemetry("a")]);
        }
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=false"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "UPDATE meta SET value = 99 WHERE key = 'format_version'";
            command.ExecuteNonQuery();
        }
        var error = Assert.Throws<OutboxCorruptException>(() => Open());
        Assert.Contains("format version 99", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
