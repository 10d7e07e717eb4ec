namespace Osprey.Node.OperatorApi;

/// <summary>A quarantine entry as listed: where the file was, what it was, and its state in the node's index.</summary>
public sealed record QuarantineEntryInfo
{
    public required string AgentId { get; init; }
    public required string QuarantineId { get; init; }

    /// <summary>"quarantined", "restored" or "deleted".</summary>
    public required string State { get; init; }
    public required string OriginalPath { get; init; }
    public long Size { get; init; }
    public string Md5 { get; init; } = "";
    public string Sha256 { get; init; } = "";
    public bool OriginalDeleted { get; init; }
    public string Owner { get; init; } = "";
    public string OwnerId { get; init; } = "";
    public string Group { get; init; } = "";
    public string GroupId { get; init; } = "";

    /// <summary>Permission bits in octal ("640", "4755").</summary>
    public string Mode { get; init; } = "";
    public IReadOnlyList<string> Attributes { get; init; } = [];
    public DateTimeOffset QuarantinedAt { get; init; }
    public DateTimeOffset? ModifiedAt { get; init; }
    public DateTimeOffset? AccessedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The task whose report last changed the entry.</summary>
    public string TaskId { get; init; } = "";
}

/// <summary>POST /api/v1/quarantine: quarantine a file on one or more agents.</summary>
public sealed record QuarantineRequest(IReadOnlyList<string>? Agents, string? Path, bool? KeepOriginal, string? Sha256, long? TimeoutSeconds);

/// <summary>POST /api/v1/quarantine/{agent}/{id}/restore.</summary>
public sealed record QuarantineRestoreRequest(bool? Overwrite, string? Destination, long? TimeoutSeconds);
