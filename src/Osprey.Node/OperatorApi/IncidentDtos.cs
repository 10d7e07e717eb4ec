namespace Osprey.Node.OperatorApi;

/// <summary>POST /api/v1/incidents: a title and the alerts it groups (1 to 200).</summary>
public sealed record CreateIncidentRequest(string? Title, IReadOnlyList<string>? AlertIds);

/// <summary>POST /api/v1/incidents/{id}/alerts: alerts to remove, then to add, in one change.</summary>
public sealed record IncidentAlertsRequest(IReadOnlyList<string>? Add, IReadOnlyList<string>? Remove);

/// <summary>POST /api/v1/incidents/{id}/status; closing closes the incident's alerts unless <c>CloseAlerts</c> is false.</summary>
public sealed record IncidentStatusRequest(string Status, bool? CloseAlerts);

/// <summary>An incident as listed.</summary>
public sealed record IncidentInfo
{
    public required string IncidentId { get; init; }
    public required string Title { get; init; }
    public required string Status { get; init; }
    public required string Importance { get; init; }
    public string? Assignee { get; init; }
    public long AlertCount { get; init; }
    public bool Vip { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>GET /api/v1/incidents/{id}: the incident, its alerts and its comment history.</summary>
public sealed record IncidentDetail(IncidentInfo Incident, IReadOnlyList<AlertInfo> Alerts, IReadOnlyList<AlertCommentInfo> Comments);
