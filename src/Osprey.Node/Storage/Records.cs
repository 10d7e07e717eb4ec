namespace Osprey.Node.Storage;

/// <summary>An operator account.</summary>
public sealed record UserRecord
{
    public required string Name { get; init; }
    public required string Role { get; init; }
    public long CreatedUs { get; init; }
    public bool Disabled { get; init; }
}

/// <summary>An enrollment token as stored (the token itself is only ever shown once).</summary>
public sealed record EnrollTokenRecord
{
    public required string Id { get; init; }
    public long CreatedUs { get; init; }
    public long ExpiresUs { get; init; }
    public int MaxUses { get; init; }
    public int Uses { get; init; }
    public bool Revoked { get; init; }
    public required string CreatedBy { get; init; }
}

/// <summary>An enrolled agent and what it last reported.</summary>
public sealed record AgentRecord
{
    public required string AgentId { get; init; }
    public required string CertificateSerial { get; init; }
    public long EnrolledUs { get; init; }
    public bool Revoked { get; init; }
    public required string HostName { get; init; }
    public long LastSeenUs { get; init; }
    public byte[]? Device { get; init; }
    public byte[]? Status { get; init; }
    public string NodeAddress { get; init; } = "";
}

/// <summary>A task for one agent.</summary>
public sealed record TaskRecord
{
    public required string TaskId { get; init; }
    public required string AgentId { get; init; }
    public required string Type { get; init; }
    public required string State { get; init; }
    public long CreatedUs { get; init; }
    public required string CreatedBy { get; init; }
    public required byte[] Definition { get; init; }
    public long? DeliveredUs { get; init; }

    /// <summary>When the task pauses if the agent has not fetched it (created + timeout).</summary>
    public long? DeliverByUs { get; init; }

    /// <summary>The run-as password sealed with the node's secret key (task ID as associated data); null without one.</summary>
    public byte[]? RunAsSecret { get; init; }

    /// <summary>A cron-scheduled task: it stays with the agent between runs.</summary>
    public bool Recurring { get; init; }
}

/// <summary>Which tasks to list.</summary>
public sealed record TaskFilter
{
    public string? AgentId { get; init; }
    public string? State { get; init; }
    public string? Type { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>A task report as received.</summary>
public sealed record ReportRecord
{
    public long Id { get; init; }
    public required string TaskId { get; init; }
    public required string AgentId { get; init; }
    public long ReceivedUs { get; init; }
    public required string Status { get; init; }
    public required byte[] Report { get; init; }
}

/// <summary>One operator action.</summary>
public sealed record AuditRecord
{
    public long Id { get; init; }
    public long TimeUs { get; init; }
    public required string User { get; init; }
    public required string Role { get; init; }
    public required string Action { get; init; }
    public required string Target { get; init; }
    public int Status { get; init; }
    public required string Remote { get; init; }
    public required string Detail { get; init; }
}
