using System.Text.Json;
using Osprey.Contracts.Security;
using Osprey.Contracts.V1;
using Osprey.Node.AgentApi;
using Osprey.Node.Hosting;
using Osprey.Node.Quarantine;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

// The quarantine view: entries from the node's index; quarantine, restore, pull and delete become tasks for the agent.
public static partial class OperatorEndpoints
{
    public static IEndpointRouteBuilder MapQuarantineApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/quarantine");
        api.MapGet("", ListQuarantine).RequireRoles(RoleFilter.Readers);
        api.MapGet("/{agentId}/{id}", ShowQuarantine).RequireRoles(RoleFilter.Readers);
        api.MapPost("", AddQuarantine).RequireRoles(RoleFilter.Officers);
        api.MapPost("/{agentId}/{id}/restore", RestoreQuarantine).RequireRoles(RoleFilter.Officers);
        api.MapPost("/{agentId}/{id}/pull", PullQuarantine).RequireRoles(RoleFilter.Officers);
        api.MapDelete("/{agentId}/{id}", DeleteQuarantine).RequireRoles(RoleFilter.Officers);
        return app;
    }

    private static IResult ListQuarantine(INodeStore store, string? agent, string? state, bool? all, int? limit)
    {
        if (state is not (null or QuarantineStates.Quarantined or QuarantineStates.Restored or QuarantineStates.Deleted))
        {
            return Problems.BadRequest("state is quarantined, restored or deleted");
        }
        return Results.Ok<IReadOnlyList<QuarantineEntryInfo>>(store.ListQuarantine(new QuarantineFilter
        {
            AgentId = string.IsNullOrEmpty(agent) ? null : agent,
            State = all == true ? null : state ?? QuarantineStates.Quarantined,
            Limit = Math.Clamp(limit ?? 1000, 1, 100_000),
        }).Select(ToQuarantineInfo).ToList());
    }

    private static IResult ShowQuarantine(HttpContext http, string agentId, string id, INodeStore store)
    {
        OperatorAuthentication.Audit(http, $"{agentId}/{id}", "");
        return store.GetQuarantine(agentId, id.ToLowerInvariant()) is { } record
            ? Results.Ok(ToQuarantineInfo(record))
            : Problems.NotFound($"agent {agentId} has no quarantine entry {id} (the node's index knows the entries quarantine tasks reported)");
    }

    private static IResult AddQuarantine(HttpContext http, QuarantineRequest request, INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, string.Join(",", request.Agents ?? []), $"path={request.Path} keep-original={request.KeepOriginal}");
        if (string.IsNullOrEmpty(request.Path))
        {
            return Problems.BadRequest("the path of the file to quarantine is required");
        }
        var file = new Dictionary<string, object?> { ["path"] = request.Path };
        if (!string.IsNullOrEmpty(request.Sha256))
        {
            file["sha256"] = request.Sha256;
        }
        var parameters = new Dictionary<string, object?> { ["objects"] = new[] { file }, ["keepOriginal"] = request.KeepOriginal ?? false };
        return CreateTask(http, new CreateTaskRequest("quarantine", request.Agents, false, request.TimeoutSeconds, JsonSerializer.SerializeToElement(parameters)),
            store, signals, secrets, time);
    }

    private static IResult RestoreQuarantine(
        HttpContext http, string agentId, string id, QuarantineRestoreRequest? request, INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time)
    {
        var parameters = new Dictionary<string, object?>
        {
            ["quarantineIds"] = new[] { id.ToLowerInvariant() },
            ["overwrite"] = request?.Overwrite ?? false,
            ["destination"] = request?.Destination ?? "",
        };
        return QuarantineTask(http, agentId, id, "quarantine-restore", parameters, request?.TimeoutSeconds, store, signals, secrets, time);
    }

    private static IResult PullQuarantine(HttpContext http, string agentId, string id, INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time) =>
        QuarantineTask(http, agentId, id, "get-file", new Dictionary<string, object?> { ["quarantineId"] = id.ToLowerInvariant() }, null, store, signals, secrets, time);

    private static IResult DeleteQuarantine(HttpContext http, string agentId, string id, INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time) =>
        QuarantineTask(http, agentId, id, "quarantine-delete", new Dictionary<string, object?> { ["quarantineIds"] = new[] { id.ToLowerInvariant() } }, null, store, signals, secrets, time);

    /// <summary>A task on one entry the index holds as quarantined (the create-task rules and audit apply).</summary>
    private static IResult QuarantineTask(
        HttpContext http, string agentId, string id, string type, Dictionary<string, object?> parameters, long? timeoutSeconds,
        INodeStore store, TaskSignals signals, SecretBox secrets, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, $"{agentId}/{id}", type);
        if (!QuarantineIndex.IsValidId(id.ToLowerInvariant()))
        {
            return Problems.BadRequest($"'{id}' is not a quarantine ID (32 hex digits)");
        }
        var record = store.GetQuarantine(agentId, id.ToLowerInvariant());
        if (record is null)
        {
            return Problems.NotFound($"agent {agentId} has no quarantine entry {id}");
        }
        if (record.State != QuarantineStates.Quarantined)
        {
            return Problems.Conflict($"quarantine entry {id} on agent {agentId} was {record.State} already");
        }
        return CreateTask(http, new CreateTaskRequest(type, [agentId], false, timeoutSeconds, JsonSerializer.SerializeToElement(parameters)), store, signals, secrets, time);
    }

    private static QuarantineEntryInfo ToQuarantineInfo(QuarantineRecord record)
    {
        var entry = QuarantineEntry.Parser.ParseFrom(record.Entry);
        var metadata = entry.Metadata ?? new FileMetadata();
        return new QuarantineEntryInfo
        {
            AgentId = record.AgentId,
            QuarantineId = record.QuarantineId,
            State = record.State,
            OriginalPath = record.OriginalPath,
            Size = record.Size,
            Md5 = entry.Md5,
            Sha256 = record.Sha256,
            OriginalDeleted = entry.OriginalDeleted,
            Owner = metadata.Owner?.Name ?? "",
            OwnerId = metadata.Owner?.Id ?? "",
            Group = metadata.OwnerGroup?.Name ?? "",
            GroupId = metadata.OwnerGroup?.Id ?? "",
            Mode = Convert.ToString(metadata.Mode, 8),
            Attributes = [.. metadata.Attributes],
            QuarantinedAt = NodeClock.FromUs(record.QuarantinedUs),
            ModifiedAt = entry.ModifiedUs != 0 ? NodeClock.FromUs(entry.ModifiedUs) : null,
            AccessedAt = entry.AccessedUs != 0 ? NodeClock.FromUs(entry.AccessedUs) : null,
            UpdatedAt = NodeClock.FromUs(record.UpdatedUs),
            TaskId = record.TaskId,
        };
    }
}
