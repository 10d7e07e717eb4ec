namespace Osprey.Node.Storage;

/// <summary>An incident as stored: alerts grouped for one investigation.</summary>
public sealed record IncidentRecord
{
    public required string IncidentId { get; init; }
    public required string Title { get; init; }

    /// <summary>"new", "in-progress" or "closed", as for alerts.</summary>
    public required string Status { get; init; }

    /// <summary>The highest importance among its alerts.</summary>
    public required string Importance { get; init; }
    public string? Assignee { get; init; }
    public long AlertCount { get; init; }

    /// <summary>True when one of its alerts is on a VIP host (or marked VIP).</summary>
    public bool Vip { get; init; }
    public required string CreatedBy { get; init; }
    public long CreatedUs { get; init; }
    public long UpdatedUs { get; init; }
}

/// <summary>Which incidents to list, most recently updated first.</summary>
public sealed record IncidentFilter
{
    public string? Status { get; init; }
    public string? Assignee { get; init; }
    public int Limit { get; init; } = 100;
}

/// <summary>Why alerts could not join an incident; nothing was changed.</summary>
public enum IncidentChange
{
    Done,
    NoSuchIncident,
    UnknownAlerts,
    AlertsInAnotherIncident,
    TooManyAlerts,
}

/// <summary>The outcome of creating an incident or changing its alerts, with the alerts at fault.</summary>
public sealed record IncidentOutcome(IncidentChange Change, IReadOnlyList<string> Alerts, long AlertCount = 0);
