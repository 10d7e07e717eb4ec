using Osprey.Contracts.V1;
using Osprey.Node.Quarantine;
using Osprey.Node.Storage;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Quarantine;

/// <summary>The node's quarantine index kept from reports, on the real node database.</summary>
public sealed class QuarantineIndexTests : IDisposable
{
    private const string IdA = "0123456789abcdef0123456789abcdef";
    private const string IdB = "fedcba9876543210fedcba9876543210";
    private readonly TempDirectory _dir = new("osprey-quarantine-index");
    private readonly SqliteNodeStore _store;

    public QuarantineIndexTests()
    {
        _store = new SqliteNodeStore(Path.Combine(_dir.Path, "node.db"));
        _store.Initialize();
        _store.AddEnrollToken("t", [1, 2, 3], 0, long.MaxValue, 10, "admin");
        foreach (var agent in new[] { "agent-a", "agent-b" })
        {
            Assert.Equal(EnrollOutcome.Accepted, _store.Enroll([1, 2, 3], 1, agent, "serial-" + agent, agent, []));
        }
    }

    [Fact]
    public void QuarantineReport_AddsWellFormedEntries_UnderTheReportingAgent()
    {
        var report = new TaskReport { TaskId = "task-1", Status = "completed", Quarantine = new QuarantineResult() };
        report.Quarantine.Entries.Add(Entry(IdA, "/tmp/evil", claimedAgent: "agent-b"));
        report.Quarantine.Entries.Add(Entry("../../etc/passwd", "/tmp/x"));
        report.Quarantine.Entries.Add(Entry(IdB, ""));

        QuarantineIndex.Apply(_store, "agent-a", report, 100);

        var record = Assert.Single(_store.ListQuarantine(new QuarantineFilter()));
        Assert.Equal(("agent-a", IdA, QuarantineStates.Quarantined, "/tmp/evil", 42L), (record.AgentId, record.QuarantineId, record.State, record.OriginalPath, record.Size));
        Assert.Equal("agent-a", QuarantineEntry.Parser.ParseFrom(record.Entry).AgentId);
        Assert.Empty(_store.ListQuarantine(new QuarantineFilter { AgentId = "agent-b" }));
    }

    [Fact]
    public void RestoreAndDeleteReports_MoveOnlyTheReportingAgentsSucceededEntries()
    {
        var added = new TaskReport { TaskId = "task-1", Status = "completed", Quarantine = new QuarantineResult() };
        added.Quarantine.Entries.Add(Entry(IdA, "/tmp/a"));
        added.Quarantine.Entries.Add(Entry(IdB, "/tmp/b"));
        QuarantineIndex.Apply(_store, "agent-a", added, 100);

        var failedRestore = new TaskReport { TaskId = "task-2", QuarantineRestore = new QuarantineRestoreResult() };
        failedRestore.QuarantineRestore.Items.Add(new QuarantineItemOutcome { QuarantineId = IdA, Succeeded = false });
        QuarantineIndex.Apply(_store, "agent-a", failedRestore, 200);
        var otherAgent = new TaskReport { TaskId = "task-3", QuarantineDelete = new QuarantineDeleteResult() };
        otherAgent.QuarantineDelete.Items.Add(new QuarantineItemOutcome { QuarantineId = IdA, Succeeded = true });
        QuarantineIndex.Apply(_store, "agent-b", otherAgent, 300);
        Assert.Equal(2, _store.ListQuarantine(new QuarantineFilter()).Count);

        var restore = new TaskReport { TaskId = "task-4", QuarantineRestore = new QuarantineRestoreResult() };
        restore.QuarantineRestore.Items.Add(new QuarantineItemOutcome { QuarantineId = IdA, Succeeded = true });
        QuarantineIndex.Apply(_store, "agent-a", restore, 400);
        var delete = new TaskReport { TaskId = "task-5", QuarantineDelete = new QuarantineDeleteResult() };
        delete.QuarantineDelete.Items.Add(new QuarantineItemOutcome { QuarantineId = IdB, Succeeded = true });
        QuarantineIndex.Apply(_store, "agent-a", delete, 500);

        Assert.Empty(_store.ListQuarantine(new QuarantineFilter()));
        var all = _store.ListQuarantine(new QuarantineFilter { State = null }).ToDictionary(r => r.QuarantineId);
        Assert.Equal((QuarantineStates.Restored, "task-4", 400L), (all[IdA].State, all[IdA].TaskId, all[IdA].UpdatedUs));
        Assert.Equal((QuarantineStates.Deleted, "task-5"), (all[IdB].State, all[IdB].TaskId));
    }

    private static QuarantineEntry Entry(string id, string path, string claimedAgent = "") => new()
    {
        QuarantineId = id, OriginalPath = path, Size = 42, Sha256 = new string('a', 64), AgentId = claimedAgent, QuarantinedUs = 50, OriginalDeleted = true,
    };

    public void Dispose() => _dir.Dispose();
}
