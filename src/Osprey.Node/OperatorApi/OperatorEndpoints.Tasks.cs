using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Osprey.Contracts.Scheduling;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;
using Osprey.Node.AgentApi;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;
using Osprey.Node.Tasks;

namespace Osprey.Node.OperatorApi;

// Tasks: create (one per agent), list, show with reports, cancel.
public static partial class OperatorEndpoints
{
    private const long DefaultTaskTimeoutSeconds = 24 * 3600;
    private const int MaxTaskTargets = 100_000;

    private static IResult CreateTask(HttpContext http, CreateTaskRequest request, INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time)
    {
        // The password never reaches the audit log.
        OperatorAuthentication.Audit(http, request.All == true ? "all agents" : string.Join(",", request.Agents ?? []),
            $"type={request.Type} params={(request.Params is { } p ? p.GetRawText() : "{}")} start={request.StartAt:O} cron={request.Cron} run-as={request.RunAs?.User}");
        if (string.IsNullOrWhiteSpace(request.Type))
        {
            return Problems.BadRequest($"a task type is required; known types: {string.Join(", ", TaskCatalog.Types)}");
        }
        var timeout = request.TimeoutSeconds ?? DefaultTaskTimeoutSeconds;
        if (timeout is < 1 or > 365L * 24 * 3600)
        {
            return Problems.BadRequest("timeoutSeconds must be between 1 and one year");
        }
        var now = time.NowUs();
        var schedule = new TaskSchedule { Kind = ScheduleKind.Now };
        if (request.Cron is { } cron)
        {
            if (request.StartAt is not null)
            {
                return Problems.BadRequest("a task starts at a time or on a cron schedule, not both");
            }
            if (!CronExpression.TryParse(cron, out var expression, out var cronError))
            {
                return Problems.BadRequest(cronError!);
            }
            schedule = new TaskSchedule { Kind = ScheduleKind.Cron, Cron = expression!.Text };
        }
        else if (request.StartAt is { } startAt)
        {
            schedule = new TaskSchedule { Kind = ScheduleKind.At, StartAtUs = NodeClock.ToUs(startAt) };
        }
        if (request.EndAt is { } endAt)
        {
            schedule.EndAtUs = NodeClock.ToUs(endAt);
        }
        if (request.RunAs is { } runAs && (string.IsNullOrWhiteSpace(runAs.User) || runAs.User.Length > 64 || runAs.User.Contains(':', StringComparison.Ordinal)))
        {
            return Problems.BadRequest("the run-as account needs a user name (at most 64 characters)");
        }

        var agents = request.All == true
            ? store.ListAgents().Where(a => !a.Revoked).Select(a => a.AgentId).ToList()
            : (request.Agents ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (agents.Count == 0)
        {
            return Problems.BadRequest(request.All == true ? "there are no enrolled agents" : "name at least one agent, or all");
        }
        if (agents.Count > MaxTaskTargets)
        {
            return Problems.BadRequest($"at most {MaxTaskTargets} agents per request");
        }
        foreach (var agentId in agents)
        {
            var agent = store.GetAgent(agentId);
            if (agent is null)
            {
                return Problems.NotFound($"no agent with ID {agentId}");
            }
            if (agent.Revoked)
            {
                return Problems.BadRequest($"agent {agentId} is revoked");
            }
        }

        var operatorName = OperatorAuthentication.Current(http)!.Name;
        var records = new List<TaskRecord>(agents.Count);
        foreach (var agentId in agents)
        {
            var definition = new TaskDefinition
            {
                TaskId = Guid.NewGuid().ToString("D"),
                Type = request.Type,
                CreatedUs = now,
                TimeoutSeconds = timeout,
                Schedule = schedule,
                Target = new TaskTarget { AgentIds = { agentId } },
                CreatedBy = operatorName,
            };
            if (TaskCatalog.SetParams(definition, request.Params) is { } error)
            {
                return Problems.BadRequest(error);
            }
            TaskCatalog.Stamp(definition);
            byte[]? secret = null;
            if (request.RunAs is { } account)
            {
                definition.RunAs = new RunAsAccount { UserName = account.User };
                if (account.Password is { } password)
                {
                    secret = secrets.Seal(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(definition.TaskId));
                }
            }
            // A task waits for its agent for its timeout (from its start time when it has one), then pauses.
            var deliverFrom = schedule.Kind == ScheduleKind.At ? Math.Max(schedule.StartAtUs, now) : now;
            records.Add(new TaskRecord
            {
                TaskId = definition.TaskId,
                AgentId = agentId,
                Type = definition.Type,
                State = "pending",
                CreatedUs = now,
                CreatedBy = operatorName,
                Definition = definition.ToByteArray(),
                DeliverByUs = schedule.Kind == ScheduleKind.Cron ? null : deliverFrom + timeout * 1_000_000,
                RunAsSecret = secret,
                Recurring = schedule.Kind == ScheduleKind.Cron,
            });
        }
        store.AddTasks(records);
        foreach (var record in records)
        {
            signals.Notify(record.AgentId);
        }
        return Results.Ok<IReadOnlyList<TaskInfo>>(records.Select(ToTaskInfo).ToList());
    }

    private static IResult ListTasks(INodeStore store, int? limit, string? agent, string? state, string? type) =>
        Results.Ok<IReadOnlyList<TaskInfo>>(store.ListTasks(new TaskFilter
        {
            Limit = Math.Clamp(limit ?? 100, 1, 10_000),
            AgentId = string.IsNullOrEmpty(agent) ? null : agent,
            State = string.IsNullOrEmpty(state) ? null : state,
            Type = string.IsNullOrEmpty(type) ? null : type,
        }).Select(ToTaskInfo).ToList());

    private static IResult ShowTask(string id, INodeStore store)
    {
        var task = store.GetTask(id);
        if (task is null)
        {
            return Problems.NotFound($"no task with ID {id}");
        }
        var definition = TaskDefinition.Parser.ParseFrom(task.Definition);
        var schedule = definition.Schedule?.Kind switch
        {
            ScheduleKind.At => "at " + NodeClock.FromUs(definition.Schedule.StartAtUs).ToString("O"),
            ScheduleKind.Cron => "cron " + definition.Schedule.Cron,
            _ => "now",
        };
        var reports = store.Reports(id).Select(r => new TaskReportInfo(
            NodeClock.FromUs(r.ReceivedUs), r.Status, JsonDocument.Parse(JsonFormatter.Default.Format(TaskReport.Parser.ParseFrom(r.Report))).RootElement)).ToList();
        return Results.Ok(new TaskDetail(
            task.TaskId, task.AgentId, task.Type, task.State, NodeClock.FromUs(task.CreatedUs), task.CreatedBy,
            task.DeliveredUs is { } delivered ? NodeClock.FromUs(delivered) : null, definition.TimeoutSeconds, schedule,
            definition.RunAs?.UserName is { Length: > 0 } user ? user : null,
            JsonDocument.Parse(TaskCatalog.ParamsJson(definition)).RootElement, reports));
    }

    private static IResult CancelTask(HttpContext http, string id, INodeStore store, TaskSignals signals)
    {
        OperatorAuthentication.Audit(http, id, "");
        var task = store.GetTask(id);
        if (task is null)
        {
            return Problems.NotFound($"no task with ID {id}");
        }
        var state = store.CancelTask(id);
        if (state is not ("cancelled" or "cancelling"))
        {
            return Problems.Conflict($"task {id} has already ended ({state})");
        }
        signals.Notify(task.AgentId);
        return Results.Ok(ToTaskInfo(store.GetTask(id)!));
    }
}
