using System.Globalization;
using Osprey.Node.Alerts;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// Incidents: alerts grouped for one investigation (at most 200), with status, assignee and comments like an alert's.
public static partial class OperatorEndpoints
{
    private const int MaxIncidentTitleLength = 256;

    public static IEndpointRouteBuilder MapIncidentApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/incidents", ListIncidents).RequireRoles(RoleFilter.Readers);
        api.MapGet("/incidents/{id}", ShowIncident).RequireRoles(RoleFilter.Readers);
        api.MapPost("/incidents", CreateIncident).RequireRoles(RoleFilter.Responders);
        api.MapPost("/incidents/{id}/alerts", ChangeIncidentAlerts).RequireRoles(RoleFilter.Responders);
        api.MapPost("/incidents/{id}/status", SetIncidentStatus).RequireRoles(RoleFilter.Responders);
        api.MapPost("/incidents/{id}/assign", AssignIncident).RequireRoles(RoleFilter.Responders);
        api.MapPost("/incidents/{id}/comment", CommentIncident).RequireRoles(RoleFilter.Responders);
        return app;
    }

    private static IResult ListIncidents(INodeStore store, string? status, string? assignee, int? limit)
    {
        if (!string.IsNullOrEmpty(status) && !AlertStatuses.IsKnown(status))
        {
            return Problems.BadRequest($"unknown status '{status}'; statuses: {string.Join(", ", AlertStatuses.All)}");
        }
        return Results.Ok<IReadOnlyList<IncidentInfo>>(store.ListIncidents(new IncidentFilter
        {
            Status = string.IsNullOrEmpty(status) ? null : status,
            Assignee = string.IsNullOrEmpty(assignee) ? null : assignee,
            Limit = Math.Clamp(limit ?? 100, 1, 10_000),
        }).Select(ToIncidentInfo).ToList());
    }

    private static IResult ShowIncident(HttpContext http, string id, INodeStore store)
    {
        OperatorAuthentication.Audit(http, id, "");
        var incident = store.GetIncident(id);
        if (incident is null)
        {
            return Problems.NotFound($"no incident with ID {id}");
        }
        var comments = store.IncidentComments(id).Select(c => new AlertCommentInfo(c.Author, NodeClock.FromUs(c.TimeUs), c.Text)).ToList();
        return Results.Ok(new IncidentDetail(ToIncidentInfo(incident), store.IncidentAlerts(id).Select(ToAlertInfo).ToList(), comments));
    }

    private static IResult CreateIncident(HttpContext http, CreateIncidentRequest request, INodeStore store, TimeProvider time)
    {
        var title = request.Title?.Trim() ?? "";
        var alerts = Distinct(request.AlertIds);
        OperatorAuthentication.Audit(http, "", $"title={title} alerts={string.Join(",", alerts.Take(SqliteNodeStore.MaxIncidentAlerts + 1))}");
        if (title.Length is 0 or > MaxIncidentTitleLength || title.Any(char.IsControl))
        {
            return Problems.BadRequest($"an incident needs a title of 1 to {MaxIncidentTitleLength} characters without control characters");
        }
        if (alerts.Count is 0 or > SqliteNodeStore.MaxIncidentAlerts)
        {
            return Problems.BadRequest($"an incident groups 1 to {SqliteNodeStore.MaxIncidentAlerts} alerts; {alerts.Count} given");
        }
        var id = Guid.NewGuid().ToString("D");
        var outcome = store.CreateIncident(id, title, alerts, OperatorAuthentication.Current(http)!.Name, time.NowUs());
        if (Refusal(outcome, id) is { } refused)
        {
            return refused;
        }
        OperatorAuthentication.Audit(http, id, $"created '{title}' with {alerts.Count} alerts: {string.Join(",", alerts)}");
        return Results.Ok(ToIncidentInfo(store.GetIncident(id)!));
    }

    private static IResult ChangeIncidentAlerts(HttpContext http, string id, IncidentAlertsRequest request, INodeStore store, TimeProvider time)
    {
        var add = Distinct(request.Add);
        var remove = Distinct(request.Remove);
        OperatorAuthentication.Audit(http, id, $"add={string.Join(",", add.Take(SqliteNodeStore.MaxIncidentAlerts + 1))} remove={string.Join(",", remove.Take(SqliteNodeStore.MaxIncidentAlerts + 1))}");
        if (add.Count + remove.Count == 0 || add.Intersect(remove, StringComparer.Ordinal).Any())
        {
            return Problems.BadRequest("give alerts to add or remove, none in both lists");
        }
        if (add.Count > SqliteNodeStore.MaxIncidentAlerts || remove.Count > SqliteNodeStore.MaxIncidentAlerts)
        {
            return Problems.BadRequest($"an incident groups at most {SqliteNodeStore.MaxIncidentAlerts} alerts");
        }
        var outcome = store.ChangeIncidentAlerts(id, add, remove, OperatorAuthentication.Current(http)!.Name, time.NowUs());
        return Refusal(outcome, id) ?? Results.Ok(ToIncidentInfo(store.GetIncident(id)!));
    }

    private static IResult SetIncidentStatus(HttpContext http, string id, IncidentStatusRequest request, INodeStore store, TimeProvider time)
    {
        var closeAlerts = request.Status == AlertStatuses.Closed && request.CloseAlerts != false;
        OperatorAuthentication.Audit(http, id, $"status={request.Status} closeAlerts={closeAlerts}");
        if (request.Status is not (AlertStatuses.InProgress or AlertStatuses.Closed))
        {
            return Problems.BadRequest($"an incident moves to {AlertStatuses.InProgress} or {AlertStatuses.Closed} (it is {AlertStatuses.New} only when created)");
        }
        return store.SetIncidentStatus(id, request.Status, closeAlerts, time.NowUs())
            ? Results.Ok(ToIncidentInfo(store.GetIncident(id)!))
            : Problems.NotFound($"no incident with ID {id}");
    }

    private static IResult AssignIncident(HttpContext http, string id, AssignAlertRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, $"assignee={request.Assignee}");
        var (assignee, problem) = Assignee(request, store);
        if (problem is not null)
        {
            return problem;
        }
        return store.AssignIncident(id, assignee, time.NowUs()) ? Results.Ok(ToIncidentInfo(store.GetIncident(id)!)) : Problems.NotFound($"no incident with ID {id}");
    }

    private static IResult CommentIncident(HttpContext http, string id, AlertCommentRequest request, INodeStore store, TimeProvider time)
    {
        var text = request.Text?.Trim() ?? "";
        OperatorAuthentication.Audit(http, id, $"comment={text}");
        if (CommentProblem(text) is { } problem)
        {
            return problem;
        }
        return store.AddIncidentComment(id, OperatorAuthentication.Current(http)!.Name, text, time.NowUs())
            ? Results.Ok(ToIncidentInfo(store.GetIncident(id)!))
            : Problems.NotFound($"no incident with ID {id}");
    }

    private static IResult? Refusal(IncidentOutcome outcome, string id) => outcome.Change switch
    {
        IncidentChange.Done => null,
        IncidentChange.NoSuchIncident => Problems.NotFound($"no incident with ID {id}"),
        IncidentChange.UnknownAlerts => Problems.BadRequest($"no such alerts (in this incident, for a removal): {string.Join(", ", outcome.Alerts)}; nothing was changed"),
        IncidentChange.AlertsInAnotherIncident => Problems.Conflict($"alerts already in another incident: {string.Join(", ", outcome.Alerts)}; nothing was changed"),
        _ => Problems.Conflict(string.Create(CultureInfo.InvariantCulture,
            $"an incident groups at most {SqliteNodeStore.MaxIncidentAlerts} alerts; this change would give it {outcome.AlertCount}; nothing was changed")),
    };

    private static List<string> Distinct(IReadOnlyList<string>? ids) =>
        [.. (ids ?? []).Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim()).Distinct(StringComparer.Ordinal)];

    private static IncidentInfo ToIncidentInfo(IncidentRecord i) => new()
    {
        IncidentId = i.IncidentId,
        Title = i.Title,
        Status = i.Status,
        Importance = i.Importance,
        Assignee = i.Assignee,
        AlertCount = i.AlertCount,
        Vip = i.Vip,
        CreatedBy = i.CreatedBy,
        CreatedAt = NodeClock.FromUs(i.CreatedUs),
        UpdatedAt = NodeClock.FromUs(i.UpdatedUs),
    };
}
