using Google.Protobuf;
using Osprey.Contracts.V1;
using Osprey.Node.Storage;

namespace Osprey.Node.Quarantine;

/// <summary>
/// Keeps the node's index of quarantine entries from task reports, so listing needs no round trip to the agents:
/// a quarantine report adds its entries, restore and delete reports move the entries they succeeded on. The agent ID
/// is the one of the reporting agent's certificate, never what the report says; malformed entries are left out.
/// </summary>
public static class QuarantineIndex
{
    private const int MaxPathLength = 4096;

    /// <summary>Applies what a finished report says about quarantine entries (a report of another type changes nothing).</summary>
    public static void Apply(INodeStore store, string agentId, TaskReport report, long nowUs)
    {
        switch (report.ResultCase)
        {
            case TaskReport.ResultOneofCase.Quarantine:
                var records = report.Quarantine.Entries.Where(IsWellFormed).Select(e => Record(agentId, report.TaskId, e, nowUs)).ToList();
                if (records.Count > 0)
                {
                    store.UpsertQuarantine(records);
                }
                break;
            case TaskReport.ResultOneofCase.QuarantineRestore:
                Move(store, agentId, report.TaskId, report.QuarantineRestore.Items, QuarantineStates.Restored, nowUs);
                break;
            case TaskReport.ResultOneofCase.QuarantineDelete:
                Move(store, agentId, report.TaskId, report.QuarantineDelete.Items, QuarantineStates.Deleted, nowUs);
                break;
        }
    }

    /// <summary>Whether <paramref name="id"/> has the form of a quarantine ID: 32 lowercase hex digits.</summary>
    public static bool IsValidId(string id) => id.Length == 32 && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    private static void Move(INodeStore store, string agentId, string taskId, IEnumerable<QuarantineItemOutcome> items, string state, long nowUs)
    {
        var ids = items.Where(i => i.Succeeded && IsValidId(i.QuarantineId)).Select(i => i.QuarantineId).ToList();
        if (ids.Count > 0)
        {
            store.SetQuarantineState(agentId, ids, state, taskId, nowUs);
        }
    }

    private static bool IsWellFormed(QuarantineEntry entry) =>
        IsValidId(entry.QuarantineId) && entry.OriginalPath.Length is > 0 and <= MaxPathLength && entry.Size >= 0 && entry.Sha256.Length <= 64;

    private static QuarantineRecord Record(string agentId, string taskId, QuarantineEntry entry, long nowUs)
    {
        entry = new QuarantineEntry(entry) { AgentId = agentId };
        return new QuarantineRecord
        {
            AgentId = agentId,
            QuarantineId = entry.QuarantineId,
            State = QuarantineStates.Quarantined,
            OriginalPath = entry.OriginalPath,
            Size = entry.Size,
            Sha256 = entry.Sha256,
            QuarantinedUs = entry.QuarantinedUs,
            UpdatedUs = nowUs,
            TaskId = taskId,
            Entry = entry.ToByteArray(),
        };
    }
}
