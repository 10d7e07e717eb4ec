namespace Osprey.Node.OperatorApi;

/// <summary>POST /api/v1/rules/import: the files' contents (a directory is many files); <c>Kind</c> is "sigma" or "ioc".</summary>
public sealed record RuleImportRequest(string Kind, IReadOnlyList<RuleFile> Files);

/// <summary>One imported file: its name (shown with each rule) and its text.</summary>
public sealed record RuleFile(string Name, string Content);

/// <summary>The outcome of an import: counts, then every document of every file with its status and reason.</summary>
public sealed record RuleImportResponse(int Compiled, int Unsupported, int Invalid, IReadOnlyList<RuleImportOutcome> Rules);

/// <summary>One document of an imported file: compiled, unsupported or invalid, and why.</summary>
public sealed record RuleImportOutcome(string RuleId, string Title, string Source, int Document, string Status, string? Reason, IReadOnlyList<string> Warnings);

/// <summary>POST /api/v1/rules/custom (and PUT /api/v1/rules/custom/{id}): a hunting query saved as a detection rule.</summary>
public sealed record CustomRuleRequest(
    string? Title, string? Query, string? Importance, string? Confidence, IReadOnlyList<string>? Techniques, IReadOnlyList<string>? Tactics, string? Scope);

/// <summary>POST /api/v1/rules/{id}/scope: "local" or "global".</summary>
public sealed record RuleScopeRequest(string? Scope);

/// <summary>A rule as listed and shown (<c>Content</c> only when shown).</summary>
public sealed record RuleInfo
{
    public required string RuleId { get; init; }
    public required string Kind { get; init; }
    public required string Title { get; init; }
    public required string Source { get; init; }
    public int Document { get; init; }
    public required string Status { get; init; }
    public string? Reason { get; init; }
    public required string Importance { get; init; }
    public required string Confidence { get; init; }
    public IReadOnlyList<string> Techniques { get; init; } = [];
    public IReadOnlyList<string> Tactics { get; init; } = [];
    public bool Enabled { get; init; }
    public string Scope { get; init; } = "local";
    public long Version { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public required string UpdatedBy { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public string? Content { get; init; }
}

/// <summary>An alert as listed.</summary>
public sealed record AlertInfo
{
    public required string AlertId { get; init; }
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public required string Technology { get; init; }
    public required string Importance { get; init; }
    public required string Confidence { get; init; }
    public IReadOnlyList<string> Techniques { get; init; } = [];
    public required string AgentId { get; init; }
    public string HostName { get; init; } = "";
    public string UserName { get; init; } = "";

    /// <summary>The process the alert is about: GET /api/v1/events/tree/{uniquePid} shows its tree.</summary>
    public string UniquePid { get; init; } = "";
    public string Summary { get; init; } = "";
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public long Count { get; init; }
    public required string Status { get; init; }
    public string? Assignee { get; init; }
    public bool Vip { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The incident the alert is grouped in, if any.</summary>
    public string? IncidentId { get; init; }
}

/// <summary>GET /api/v1/alerts/{id}: the alert, its linked events (the first 1,000) and its comment history.</summary>
public sealed record AlertDetail(AlertInfo Alert, IReadOnlyList<string> EventIds, IReadOnlyList<EventDto> Events, IReadOnlyList<AlertCommentInfo> Comments);

/// <summary>A comment on an alert.</summary>
public sealed record AlertCommentInfo(string Author, DateTimeOffset Time, string Text);

/// <summary>POST /api/v1/alerts/{id}/assign; null or empty unassigns.</summary>
public sealed record AssignAlertRequest(string? Assignee);

/// <summary>POST /api/v1/alerts/{id}/status: "in-progress" or "closed" (an alert is "new" only when raised).</summary>
public sealed record AlertStatusRequest(string Status);

/// <summary>POST /api/v1/alerts/{id}/comment.</summary>
public sealed record AlertCommentRequest(string Text);

/// <summary>POST /api/v1/alerts/{id}/vip and /api/v1/agents/{id}/vip.</summary>
public sealed record VipRequest(bool Vip);

/// <summary>POST /api/v1/rules/ioc/retro: IOC rules (the enabled ones when none is named) over the stored events in a time range.</summary>
public sealed record IocRetroRequest(IReadOnlyList<string>? RuleIds, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>What a retrospective IOC pass found: events selected by the rules' values, events matched, alerts, per indicator.</summary>
public sealed record IocRetroResponse(
    int Rules, long Candidates, long Matched, long AlertsCreated, long AlertsUpdated, long ElapsedMs, IReadOnlyList<IocIndicatorCount> Indicators);

/// <summary>How many events one indicator matched.</summary>
public sealed record IocIndicatorCount(string RuleId, string IndicatorId, long Events);

/// <summary>POST /api/v1/events/search-ioc: hunting with an uploaded OpenIOC file (not stored as a rule).</summary>
public sealed record IocSearchRequest(string? Name, string? Content, DateTimeOffset? From, DateTimeOffset? To, int? Limit);

/// <summary>An event an uploaded IOC matched: the top-level indicator and the IDs of the branch that matched in it.</summary>
public sealed record IocSearchEvent(string EventId, string AgentId, string EventType, DateTimeOffset Time, string Host, string IndicatorId, IReadOnlyList<string> Branch, string Summary);

/// <summary>The events an uploaded IOC matched, with the terms it has that telemetry cannot answer.</summary>
public sealed record IocSearchResponse(IocRetroResponse Scan, IReadOnlyList<IocSearchEvent> Events, bool Truncated, IReadOnlyList<string> Warnings);
