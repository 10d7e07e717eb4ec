namespace Osprey.Node.Storage;

/// <summary>A detection rule as stored: its text, what compiling it gave, and its metadata.</summary>
public sealed record StoredRule
{
    public required string RuleId { get; init; }

    /// <summary>"sigma", "custom" (a saved hunting query), later "ioc" and "yara".</summary>
    public required string Kind { get; init; }
    public required string Title { get; init; }

    /// <summary>The file name the rule came from and the 0-based YAML document within it.</summary>
    public required string SourceName { get; init; }
    public int Document { get; init; }

    /// <summary>The whole file as imported (a document of a multi-document file may depend on the others).</summary>
    public required string Content { get; init; }

    /// <summary>"compiled", "unsupported" or "invalid".</summary>
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public required string Importance { get; init; }
    public required string Confidence { get; init; }

    /// <summary>ATT&amp;CK technique IDs and tactic names, comma-separated.</summary>
    public string Techniques { get; init; } = "";
    public string Tactics { get; init; } = "";
    public bool Enabled { get; init; }

    /// <summary>"local" (this node only) or "global" (set on a primary node for every node it manages).</summary>
    public string Scope { get; init; } = RuleScopes.Local;
    public long Version { get; init; }
    public required string CreatedBy { get; init; }
    public long CreatedUs { get; init; }
    public required string UpdatedBy { get; init; }
    public long UpdatedUs { get; init; }
}

/// <summary>Where a rule applies: on this node only, or (from a primary) on every node of the deployment.</summary>
public static class RuleScopes
{
    public const string Local = "local";
    public const string Global = "global";

    public static bool IsValid(string? scope) => scope is Local or Global;
}

/// <summary>Which rules to list.</summary>
public sealed record RuleFilter
{
    public string? Kind { get; init; }
    public string? Status { get; init; }
    public bool? Enabled { get; init; }
    public int Limit { get; init; } = 10_000;
}

/// <summary>One event a rule matched, as the detection service hands it to the alert store.</summary>
public sealed record DetectionHit
{
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public required string Technology { get; init; }
    public required string Importance { get; init; }
    public required string Confidence { get; init; }
    public string Techniques { get; init; } = "";
    public required string AgentId { get; init; }
    public string HostName { get; init; } = "";
    public string UserName { get; init; } = "";
    public string UniquePid { get; init; } = "";
    public required string EventId { get; init; }
    public long TimeUs { get; init; }

    /// <summary>The UTC day (yyyy-MM-dd) the event belongs to: similar alerts group per day.</summary>
    public required string Day { get; init; }
    public string Summary { get; init; } = "";
}

/// <summary>An alert as stored.</summary>
public sealed record AlertRecord
{
    public required string AlertId { get; init; }
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public required string Technology { get; init; }
    public required string Importance { get; init; }
    public required string Confidence { get; init; }
    public string Techniques { get; init; } = "";
    public required string AgentId { get; init; }
    public string HostName { get; init; } = "";
    public string UserName { get; init; } = "";
    public string UniquePid { get; init; } = "";
    public string Summary { get; init; } = "";
    public required string Day { get; init; }
    public long FirstUs { get; init; }
    public long LastUs { get; init; }
    public long Count { get; init; }

    /// <summary>"new", "in-progress" or "closed".</summary>
    public required string Status { get; init; }
    public string? Assignee { get; init; }
    public bool Vip { get; init; }
    public long CreatedUs { get; init; }
    public long UpdatedUs { get; init; }

    /// <summary>The incident the alert is grouped in, if any.</summary>
    public string? IncidentId { get; init; }
}

/// <summary>Which alerts to list, newest first.</summary>
public sealed record AlertFilter
{
    public string? Status { get; init; }
    public string? AgentId { get; init; }
    public string? RuleId { get; init; }
    public long? SinceUs { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>A comment in an alert's history.</summary>
public sealed record AlertCommentRecord
{
    public long Id { get; init; }
    public required string AlertId { get; init; }
    public required string Author { get; init; }
    public long TimeUs { get; init; }
    public required string Text { get; init; }
}

/// <summary>What recording one hit did: a new alert, an update of the open one, or nothing (the event was already linked).</summary>
public enum AlertChange
{
    Duplicate,
    Created,
    Updated,
}

/// <summary>
/// A stored batch whose streaming evaluation was skipped: the agent's sequences <c>FirstSeq..LastSeq</c>, event times
/// <c>FromUs..ToUs</c>, stored at <c>StoredUs</c> (events dated implausibly went to that day's table).
/// </summary>
public sealed record DetectionBacklogEntry
{
    public long Id { get; init; }
    public required string AgentId { get; init; }
    public long FirstSeq { get; init; }
    public long LastSeq { get; init; }
    public long FromUs { get; init; }
    public long ToUs { get; init; }
    public long StoredUs { get; init; }
    public long Events { get; init; }
}
