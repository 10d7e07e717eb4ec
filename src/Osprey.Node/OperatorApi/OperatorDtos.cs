using System.Text.Json;
using System.Text.Json.Serialization;

namespace Osprey.Node.OperatorApi;

/// <summary>POST /api/v1/tokens.</summary>
public sealed record CreateEnrollTokenRequest(long? TtlSeconds, int? Uses);

/// <summary>A new enrollment token; the token itself is shown only here.</summary>
public sealed record EnrollTokenCreated(string Id, string Token, DateTimeOffset ExpiresAt, int Uses);

/// <summary>An enrollment token as listed.</summary>
public sealed record EnrollTokenInfo(string Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, int MaxUses, int Uses, bool Revoked, string CreatedBy);

/// <summary>An agent as listed and shown.</summary>
public sealed record AgentInfo
{
    public required string AgentId { get; init; }
    public required string HostName { get; init; }
    public DateTimeOffset EnrolledAt { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public bool Revoked { get; init; }
    public string NodeAddress { get; init; } = "";
    public IReadOnlyList<string> IpAddresses { get; init; } = [];
    public IReadOnlyList<string> MacAddresses { get; init; } = [];
    public string OsName { get; init; } = "";
    public string OsVersion { get; init; } = "";
    public string AgentVersion { get; init; } = "";
    public DateTimeOffset? BootTime { get; init; }
    public ulong QueueDepth { get; init; }
    public ulong DroppedEvents { get; init; }
    public string Isolation { get; init; } = "";

    /// <summary>Version of the prevention rule set the agent enforces (0: none), and its rule count.</summary>
    public ulong PreventionVersion { get; init; }
    public uint PreventionRules { get; init; }
    /// <summary>When isolation releases itself (from the agent's last sync); null when it is off or lasts until released.</summary>
    public DateTimeOffset? IsolationReleaseAt { get; init; }
    public string ConnectionState { get; init; } = "";
    public IReadOnlyList<string> CertificateErrors { get; init; } = [];
    public ulong AckedSequence { get; init; }
}

/// <summary>POST /api/v1/events/search.</summary>
public sealed record SearchRequest(string? Query, DateTimeOffset? From, DateTimeOffset? To, string? Sort, bool? Ascending, int? Limit, bool? CountOnly);

/// <summary>Search results; Count is set for count-only requests.</summary>
public sealed record SearchResponse(IReadOnlyList<EventDto> Events, bool Truncated, long? Count);

/// <summary>An event in hunting results.</summary>
public sealed record EventDto
{
    public required string EventId { get; init; }
    public required string AgentId { get; init; }
    public long Sequence { get; init; }
    public required string EventType { get; init; }
    public DateTimeOffset EventTime { get; init; }
    public string? Host { get; init; }
    public string? HostIp { get; init; }
    public string? UserName { get; init; }
    public string? UniquePid { get; init; }
    public string? ParentUniquePid { get; init; }
    public long? Pid { get; init; }
    public string? ProcessName { get; init; }
    public string? ProcessPath { get; init; }
    public string? CommandLine { get; init; }
    public string? FilePath { get; init; }
    public string? FileName { get; init; }
    public string? Md5 { get; init; }
    public string? Sha256 { get; init; }
    public string? LocalIp { get; init; }
    public long? LocalPort { get; init; }
    public string? RemoteIp { get; init; }
    public long? RemotePort { get; init; }
    public string? Protocol { get; init; }
    public string? DnsName { get; init; }
    /// <summary>The payload as JSON text with proto field names.</summary>
    public string? Details { get; init; }
}

/// <summary>A process tree in the operator API.</summary>
public sealed record ProcessTreeDto(string UniquePid, IReadOnlyList<ProcessNodeDto> Ancestors, ProcessNodeDto? Process);

/// <summary>One process of a tree.</summary>
public sealed record ProcessNodeDto(string UniquePid, string? ParentUniquePid, EventDto? Start, IReadOnlyList<EventDto> Events, IReadOnlyList<ProcessNodeDto> Children);

/// <summary>POST /api/v1/users.</summary>
public sealed record CreateUserRequest(string Name, string Role, string? Password);

/// <summary>A new user with its first API token, shown only here.</summary>
public sealed record UserCreated(string Name, string Role, string Token);

/// <summary>An operator account.</summary>
public sealed record UserInfo(string Name, string Role, DateTimeOffset CreatedAt, bool Disabled);

/// <summary>PUT /api/v1/users/{name}/role.</summary>
public sealed record SetRoleRequest(string Role);

/// <summary>A new API token for an existing user.</summary>
public sealed record ApiTokenCreated(string User, string Token, DateTimeOffset? ExpiresAt);

/// <summary>POST /api/v1/users/{name}/tokens.</summary>
public sealed record CreateApiTokenRequest(long? TtlSeconds);

/// <summary>An audit log entry.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset Time, string User, string Role, string Action, string Target, int Status, string Remote, string Detail);

/// <summary>
/// POST /api/v1/tasks: one task per agent named (or every agent). <c>Params</c> is the protobuf JSON of the type's
/// parameters message (RunProcessParams for "run-process"…). Without StartAt or Cron the task starts at once.
/// </summary>
public sealed record CreateTaskRequest(
    string Type, IReadOnlyList<string>? Agents, bool? All, long? TimeoutSeconds, JsonElement? Params = null,
    DateTimeOffset? StartAt = null, string? Cron = null, DateTimeOffset? EndAt = null, RunAsRequest? RunAs = null);

/// <summary>The account a task runs as; the password is sealed at once and never shown again.</summary>
public sealed record RunAsRequest(string User, string? Password);

/// <summary>A task as listed.</summary>
public sealed record TaskInfo(string TaskId, string AgentId, string Type, string State, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>GET /api/v1/tasks/{id}: the task, its parameters and every report received for it.</summary>
public sealed record TaskDetail(
    string TaskId, string AgentId, string Type, string State, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? DeliveredAt,
    long TimeoutSeconds, string Schedule, string? RunAsUser, JsonElement Params, IReadOnlyList<TaskReportInfo> Reports);

/// <summary>One report of a task (a recurring task has one per run); <c>Report</c> is the TaskReport as protobuf JSON.</summary>
public sealed record TaskReportInfo(DateTimeOffset ReceivedAt, string Status, JsonElement Report);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateEnrollTokenRequest))]
[JsonSerializable(typeof(EnrollTokenCreated))]
[JsonSerializable(typeof(IReadOnlyList<EnrollTokenInfo>))]
[JsonSerializable(typeof(AgentInfo))]
[JsonSerializable(typeof(IReadOnlyList<AgentInfo>))]
[JsonSerializable(typeof(SearchRequest))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(ProcessTreeDto))]
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UserCreated))]
[JsonSerializable(typeof(IReadOnlyList<UserInfo>))]
[JsonSerializable(typeof(SetRoleRequest))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(CreateApiTokenRequest))]
[JsonSerializable(typeof(ApiTokenCreated))]
[JsonSerializable(typeof(IReadOnlyList<AuditEntry>))]
[JsonSerializable(typeof(CreateTaskRequest))]
[JsonSerializable(typeof(IReadOnlyList<TaskInfo>))]
[JsonSerializable(typeof(TaskInfo))]
[JsonSerializable(typeof(TaskDetail))]
[JsonSerializable(typeof(RuleImportRequest))]
[JsonSerializable(typeof(RuleImportResponse))]
[JsonSerializable(typeof(IReadOnlyList<RuleInfo>))]
[JsonSerializable(typeof(RuleInfo))]
[JsonSerializable(typeof(CustomRuleRequest))]
[JsonSerializable(typeof(RuleScopeRequest))]
[JsonSerializable(typeof(IReadOnlyList<AlertInfo>))]
[JsonSerializable(typeof(AlertInfo))]
[JsonSerializable(typeof(AlertDetail))]
[JsonSerializable(typeof(AssignAlertRequest))]
[JsonSerializable(typeof(AlertStatusRequest))]
[JsonSerializable(typeof(AlertCommentRequest))]
[JsonSerializable(typeof(VipRequest))]
[JsonSerializable(typeof(IocRetroRequest))]
[JsonSerializable(typeof(IocRetroResponse))]
[JsonSerializable(typeof(IocSearchRequest))]
[JsonSerializable(typeof(IocSearchResponse))]
[JsonSerializable(typeof(CreateIncidentRequest))]
[JsonSerializable(typeof(IncidentAlertsRequest))]
[JsonSerializable(typeof(IncidentStatusRequest))]
[JsonSerializable(typeof(IncidentInfo))]
[JsonSerializable(typeof(IReadOnlyList<IncidentInfo>))]
[JsonSerializable(typeof(IncidentDetail))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
internal sealed partial class OperatorJsonContext : JsonSerializerContext;
