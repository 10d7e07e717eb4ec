using Osprey.Node.Alerts;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// Alerts: list, show with linked events and comments, assign, status, comment, VIP (alert or host).
public static partial class OperatorEndpoints
{
    private const int MaxLinkedEventsShown = 1_000;
    private const int MaxCommentLength = 16 * 1024;

    private static IResult ListAlerts(INodeStore store, string? status, string? agent, string? rule, DateTimeOffset? since, int? limit)
    {
        if (!string.IsNullOrEmpty(status) && !AlertStatuses.IsKnown(status))
        {
            return Problems.BadRequest($"unknown status '{status}'; statuses: {string.Join(", ", AlertStatuses.All)}");
        }
        return Results.Ok<IReadOnlyList<AlertInfo>>(store.ListAlerts(new AlertFilter
        {
            Status = string.IsNullOrEmpty(status) ? null : status,
            AgentId = string.IsNullOrEmpty(agent) ? null : agent,
            RuleId = string.IsNullOrEmpty(rule) ? null : rule,
            SinceUs = since is { } s ? NodeClock.ToUs(s) : null,
            Limit = Math.Clamp(limit ?? 100, 1, 10_000),
        }).Select(ToAlertInfo).ToList());
    }

    private static async Task<IResult> ShowAlertAsync(HttpContext http, string id, INodeStore store, IEventStore events)
    {
        OperatorAuthentication.Audit(http, id, "");
        var alert = store.GetAlert(id);
        if (alert is null)
        {
            return Problems.NotFound($"no alert with ID {id}");
        }
        var eventIds = store.AlertEventIds(id, MaxLinkedEventsShown);
        var linked = new List<EventDto>();
        // Event IDs are UUIDs the agent wrote; quoted as hunting strings they cannot change the query.
        foreach (var chunk in eventIds.Where(e => e.All(c => char.IsAsciiHexDigit(c) || c == '-')).Chunk(100))
        {
            var page = await events.SearchAsync(new EventQuery
            {
                Query = $"EventId IN ({string.Join(", ", chunk.Select(e => $"\"{e}\""))})",
                Sort = "EventTime",
                Descending = false,
                Limit = chunk.Length,
            }, http.RequestAborted).ConfigureAwait(false);
            linked.AddRange(page.Events.Select(ToDto));
        }
        var comments = store.AlertComments(id).Select(c => new AlertCommentInfo(c.Author, NodeClock.FromUs(c.TimeUs), c.Text)).ToList();
        return Results.Ok(new AlertDetail(ToAlertInfo(alert), eventIds, linked, comments));
    }

    private static IResult AssignAlert(HttpContext http, string id, AssignAlertRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, $"assignee={request.Assignee}");
        var (assignee, problem) = Assignee(request, store);
        if (problem is not null)
        {
            return problem;
        }
        return store.AssignAlert(id, assignee, time.NowUs()) ? Results.Ok(ToAlertInfo(store.GetAlert(id)!)) : Problems.NotFound($"no alert with ID {id}");
    }

    private static IResult SetAlertStatus(HttpContext http, string id, AlertStatusRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, $"status={request.Status}");
        if (request.Status is not (AlertStatuses.InProgress or AlertStatuses.Closed))
        {
            return Problems.BadRequest($"an alert moves to {AlertStatuses.InProgress} or {AlertStatuses.Closed} (it is {AlertStatuses.New} only when raised)");
        }
        return store.SetAlertStatus(id, request.Status, time.NowUs()) ? Results.Ok(ToAlertInfo(store.GetAlert(id)!)) : Problems.NotFound($"no alert with ID {id}");
    }

    private static IResult CommentAlert(HttpContext http, string id, AlertCommentRequest request, INodeStore store, TimeProvider time)
    {
        var text = request.Text?.Trim() ?? "";
        OperatorAuthentication.Audit(http, id, $"comment={text}");
        if (CommentProblem(text) is { } problem)
        {
            return problem;
        }
        return store.AddAlertComment(id, OperatorAuthentication.Current(http)!.Name, text, time.NowUs())
            ? Results.Ok(ToAlertInfo(store.GetAlert(id)!))
            : Problems.NotFound($"no alert with ID {id}");
    }

    private static IResult SetAlertVip(HttpContext http, string id, VipRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, $"vip={request.Vip}");
        return store.SetAlertVip(id, request.Vip, time.NowUs()) ? Results.Ok(ToAlertInfo(store.GetAlert(id)!)) : Problems.NotFound($"no alert with ID {id}");
    }

    private static IResult SetHostVip(HttpContext http, string id, VipRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, id, $"vip={request.Vip}");
        if (store.GetAgent(id) is null)
        {
            return Problems.NotFound($"no agent with ID {id}");
        }
        store.SetHostVip(id, request.Vip, OperatorAuthentication.Current(http)!.Name, time.NowUs());
        return Results.NoContent();
    }

    /// <summary>The operator to assign (null: unassign), or the problem when there is no such user.</summary>
    private static (string? Assignee, IResult? Problem) Assignee(AssignAlertRequest request, INodeStore store)
    {
        var assignee = string.IsNullOrWhiteSpace(request.Assignee) ? null : request.Assignee.Trim();
        return assignee is not null && store.GetUser(assignee) is null ? (null, Problems.BadRequest($"no user named '{assignee}'")) : (assignee, null);
    }

    private static IResult? CommentProblem(string text) =>
        text.Length is 0 or > MaxCommentLength ? Problems.BadRequest($"a comment is 1 to {MaxCommentLength} characters") : null;

    private static AlertInfo ToAlertInfo(AlertRecord a) => new()
    {
        AlertId = a.AlertId,
        RuleId = a.RuleId,
        RuleTitle = a.RuleTitle,
        Technology = a.Technology,
        Importance = a.Importance,
        Confidence = a.Confidence,
        Techniques = SplitList(a.Techniques),
        AgentId = a.AgentId,
        HostName = a.HostName,
        UserName = a.UserName,
        UniquePid = a.UniquePid,
        Summary = a.Summary,
        FirstSeen = NodeClock.FromUs(a.FirstUs),
        LastSeen = NodeClock.FromUs(a.LastUs),
        Count = a.Count,
        Status = a.Status,
        Assignee = a.Assignee,
        Vip = a.Vip,
        CreatedAt = NodeClock.FromUs(a.CreatedUs),
        UpdatedAt = NodeClock.FromUs(a.UpdatedUs),
        IncidentId = a.IncidentId,
    };
}
