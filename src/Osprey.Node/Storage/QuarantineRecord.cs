namespace Osprey.Node.Storage;

/// <summary>One quarantine entry of one agent as the node knows it from task reports.</summary>
public sealed record QuarantineRecord
{
    public required string AgentId { get; init; }
    public required string QuarantineId { get; init; }

    /// <summary>"quarantined", "restored" or "deleted".</summary>
    public required string State { get; init; }
    public required string OriginalPath { get; init; }
    public long Size { get; init; }
    public required string Sha256 { get; init; }
    public long QuarantinedUs { get; init; }
    public long UpdatedUs { get; init; }

    /// <summary>The task whose report last changed the entry.</summary>
    public required string TaskId { get; init; }

    /// <summary>The QuarantineEntry as the agent reported it (protobuf).</summary>
    public required byte[] Entry { get; init; }
}

/// <summary>Which quarantine entries to list; a null state lists every state.</summary>
public sealed record QuarantineFilter
{
    public string? AgentId { get; init; }
    public string? State { get; init; } = QuarantineStates.Quarantined;
    public int Limit { get; init; } = 1000;
}

/// <summary>The states of a quarantine entry in the node's index.</summary>
public static class QuarantineStates
{
    public const string Quarantined = "quarantined";
    public const string Restored = "restored";
    public const string Deleted = "deleted";
}
