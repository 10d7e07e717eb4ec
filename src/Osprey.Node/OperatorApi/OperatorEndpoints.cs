using Google.Protobuf;
using Osprey.Contracts.V1;
using Osprey.Node.AgentApi;
using Osprey.Node.Hosting;
using Osprey.Node.Storage;
using AgentRecord = Osprey.Node.Storage.AgentRecord;

namespace Osprey.Node.OperatorApi;

/// <summary>The operator API (/api/v1): JSON, bearer tokens, role checks, everything audited.</summary>
public static partial class OperatorEndpoints
{
    public static IEndpointRouteBuilder MapOperatorApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapPost("/tokens", CreateEnrollToken).RequireRoles(RoleFilter.Officers);
        api.MapGet("/tokens", ListEnrollTokens).RequireRoles(RoleFilter.Officers);
        api.MapDelete("/tokens/{id}", RevokeEnrollToken).RequireRoles(RoleFilter.Officers);
        api.MapGet("/agents", ListAgents).RequireRoles(RoleFilter.Readers);
        api.MapGet("/agents/{id}", ShowAgent).RequireRoles(RoleFilter.Readers);
        api.MapPost("/agents/{id}/revoke", RevokeAgent).RequireRoles(RoleFilter.Officers);
        api.MapPost("/events/search", SearchAsync).RequireRoles(RoleFilter.Readers);
        api.MapGet("/events/tree/{uniquePid}", TreeAsync).RequireRoles(RoleFilter.Readers);
        api.MapGet("/users", ListUsers).RequireRoles(RoleFilter.Readers);
        api.MapPost("/users", CreateUser).RequireRoles(RoleFilter.Administrators);
        api.MapPut("/users/{name}/role", SetRole).RequireRoles(RoleFilter.Administrators);
        api.MapPost("/users/{name}/tokens", CreateApiToken).RequireRoles(RoleFilter.Administrators);
        api.MapGet("/audit", ListAudit).RequireRoles(RoleFilter.Readers);
        api.MapPost("/tasks", CreateTask).RequireRoles(RoleFilter.Officers);
        api.MapGet("/tasks", ListTasks).RequireRoles(RoleFilter.Readers);
        api.MapGet("/tasks/{id}", ShowTask).RequireRoles(RoleFilter.Readers);
        api.MapPost("/tasks/{id}/cancel", CancelTask).RequireRoles(RoleFilter.Officers);
        api.MapPost("/rules/import", ImportRules).RequireRoles(RoleFilter.Officers);
        api.MapGet("/rules", ListRules).RequireRoles(RoleFilter.Readers);
        api.MapGet("/rules/{id}", ShowRule).RequireRoles(RoleFilter.Readers);
        api.MapPost("/rules/{id}/enable", EnableRule).RequireRoles(RoleFilter.Officers);
        api.MapPost("/rules/{id}/disable", DisableRule).RequireRoles(RoleFilter.Officers);
        api.MapPost("/rules/{id}/scope", SetRuleScope).RequireRoles(RoleFilter.Officers);
        api.MapPost("/rules/custom", CreateCustomRule).RequireRoles(RoleFilter.Officers);
        api.MapPost("/rules/ioc/retro", RetroIocAsync).RequireRoles(RoleFilter.Officers);
        api.MapPost("/events/search-ioc", SearchIocAsync).RequireRoles(RoleFilter.Readers);
        api.MapPut("/rules/custom/{id}", UpdateCustomRule).RequireRoles(RoleFilter.Officers);
        api.MapGet("/alerts", ListAlerts).RequireRoles(RoleFilter.Readers);
        api.MapGet("/alerts/{id}", ShowAlertAsync).RequireRoles(RoleFilter.Readers);
        api.MapPost("/alerts/{id}/assign", AssignAlert).RequireRoles(RoleFilter.Responders);
        api.MapPost("/alerts/{id}/status", SetAlertStatus).RequireRoles(RoleFilter.Responders);
        api.MapPost("/alerts/{id}/comment", CommentAlert).RequireRoles(RoleFilter.Responders);
        api.MapPost("/alerts/{id}/vip", SetAlertVip).RequireRoles(RoleFilter.Responders);
        api.MapPost("/agents/{id}/vip", SetHostVip).RequireRoles(RoleFilter.Officers);
        return app;
    }

    private static IResult CreateEnrollToken(HttpContext http, CreateEnrollTokenRequest? request, INodeStore store, TimeProvider time)
    {
        var ttl = request?.TtlSeconds ?? 24 * 3600;
        var uses = request?.Uses ?? 1;
        if (ttl is < 1 or > 365L * 24 * 3600)
        {
            return Problems.BadRequest("ttlSeconds must be between 1 and one year");
        }
        if (uses is < 1 or > 1_000_000)
        {
            return Problems.BadRequest("uses must be between 1 and 1000000");
        }
        var token = TokenHash.NewToken("oet");
        var id = Guid.NewGuid().ToString("N")[..12];
        var now = time.GetUtcNow();
        var expires = now.AddSeconds(ttl);
        store.AddEnrollToken(id, TokenHash.Of(token), NodeClock.ToUs(now), NodeClock.ToUs(expires), uses, OperatorAuthentication.Current(http)!.Name);
        OperatorAuthentication.Audit(http, id, $"ttl={ttl}s uses={uses}");
        return Results.Ok(new EnrollTokenCreated(id, token, expires, uses));
    }

    private static IResult ListEnrollTokens(INodeStore store) =>
        Results.Ok<IReadOnlyList<EnrollTokenInfo>>(store.ListEnrollTokens()
            .Select(t => new EnrollTokenInfo(t.Id, NodeClock.FromUs(t.CreatedUs), NodeClock.FromUs(t.ExpiresUs), t.MaxUses, t.Uses, t.Revoked, t.CreatedBy))
            .ToList());

    private static IResult RevokeEnrollToken(HttpContext http, string id, INodeStore store)
    {
        OperatorAuthentication.Audit(http, id, "");
        return store.RevokeEnrollToken(id) ? Results.NoContent() : Problems.NotFound($"no enrollment token with ID {id}");
    }

    private static IResult ListAgents(INodeStore store, IEventStore events) =>
        Results.Ok<IReadOnlyList<AgentInfo>>(store.ListAgents().Select(a => ToInfo(a, events)).ToList());

    private static IResult ShowAgent(HttpContext http, string id, INodeStore store, IEventStore events)
    {
        OperatorAuthentication.Audit(http, id, "");
        var agent = store.GetAgent(id);
        return agent is null ? Problems.NotFound($"no agent with ID {id}") : Results.Ok(ToInfo(agent, events));
    }

    private static IResult RevokeAgent(HttpContext http, string id, INodeStore store)
    {
        OperatorAuthentication.Audit(http, id, "");
        return store.RevokeAgent(id) ? Results.NoContent() : Problems.NotFound($"no agent with ID {id}");
    }

    private static AgentInfo ToInfo(AgentRecord a, IEventStore events)
    {
        var device = a.Device is { Length: > 0 } ? DeviceInfo.Parser.ParseFrom(a.Device) : new DeviceInfo();
        var status = a.Status is { Length: > 0 } ? AgentStatus.Parser.ParseFrom(a.Status) : new AgentStatus();
        return new AgentInfo
        {
            AgentId = a.AgentId,
            HostName = a.HostName,
            EnrolledAt = NodeClock.FromUs(a.EnrolledUs),
            LastSeen = NodeClock.FromUs(a.LastSeenUs),
            Revoked = a.Revoked,
            NodeAddress = a.NodeAddress,
            IpAddresses = [.. device.IpAddresses],
            MacAddresses = [.. device.MacAddresses],
            OsName = device.OsName,
            OsVersion = device.OsVersion,
            AgentVersion = device.AgentVersion,
            BootTime = device.BootTimeUs > 0 ? NodeClock.FromUs(device.BootTimeUs) : null,
            QueueDepth = status.QueueDepth,
            DroppedEvents = status.DroppedEvents,
            Isolation = status.Isolation.ToString(),
            PreventionVersion = status.PreventionVersion,
            PreventionRules = status.PreventionRules,
            IsolationReleaseAt = status.IsolationReleaseAtUs > 0 ? NodeClock.FromUs(status.IsolationReleaseAtUs) : null,
            ConnectionState = status.ConnectionState,
            CertificateErrors = [.. status.CertificateErrors.Select(e => $"{NodeClock.FromUs(e.TimeUs):O} {e.Side} {e.NodeAddress}: {e.Message}")],
            AckedSequence = events.AckedSequence(a.AgentId),
        };
    }

    private static IResult ListUsers(INodeStore store) =>
        Results.Ok<IReadOnlyList<UserInfo>>(store.ListUsers().Select(u => new UserInfo(u.Name, u.Role, NodeClock.FromUs(u.CreatedUs), u.Disabled)).ToList());

    private static IResult CreateUser(HttpContext http, CreateUserRequest request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, request.Name ?? "", $"role={request.Role}");
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 64 || !request.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
        {
            return Problems.BadRequest("a user name is 1 to 64 letters, digits, '.', '-', '_' or '@'");
        }
        if (UnknownRole(request.Role) is { } unknownRole)
        {
            return unknownRole;
        }
        if (request.Password is { Length: < 12 })
        {
            return Problems.BadRequest("a password has at least 12 characters");
        }
        var hash = request.Password is null ? null : PasswordHasher.Hash(request.Password);
        if (!store.AddUser(request.Name, request.Role, hash, time.NowUs()))
        {
            return Problems.Conflict($"a user named '{request.Name}' already exists");
        }
        var token = IssueApiToken(store, request.Name, time, null);
        return Results.Ok(new UserCreated(request.Name, request.Role, token));
    }

    private static IResult SetRole(HttpContext http, string name, SetRoleRequest request, INodeStore store)
    {
        OperatorAuthentication.Audit(http, name, $"role={request.Role}");
        if (UnknownRole(request.Role) is { } unknownRole)
        {
            return unknownRole;
        }
        if (string.Equals(name, OperatorAuthentication.Current(http)!.Name, StringComparison.OrdinalIgnoreCase) && request.Role != Roles.Administrator)
        {
            return Problems.Conflict("administrators cannot lower their own role");
        }
        return store.SetRole(name, request.Role) ? Results.NoContent() : Problems.NotFound($"no user named '{name}'");
    }

    private static IResult CreateApiToken(HttpContext http, string name, CreateApiTokenRequest? request, INodeStore store, TimeProvider time)
    {
        OperatorAuthentication.Audit(http, name, "");
        if (store.GetUser(name) is null)
        {
            return Problems.NotFound($"no user named '{name}'");
        }
        var expires = request?.TtlSeconds is { } ttl ? time.GetUtcNow().AddSeconds(ttl) : (DateTimeOffset?)null;
        return Results.Ok(new ApiTokenCreated(name, IssueApiToken(store, name, time, expires), expires));
    }

    private static IResult? UnknownRole(string role) =>
        Roles.IsKnown(role) ? null : Problems.BadRequest($"unknown role '{role}'; roles are: {string.Join(", ", Roles.All)}");

    internal static string IssueApiToken(INodeStore store, string user, TimeProvider time, DateTimeOffset? expires)
    {
        var token = TokenHash.NewToken("oat");
        store.AddApiToken(Guid.NewGuid().ToString("N"), user, TokenHash.Of(token), time.NowUs(), expires is null ? null : NodeClock.ToUs(expires.Value));
        return token;
    }

    private static IResult ListAudit(INodeStore store, long? since, int? limit) =>
        Results.Ok<IReadOnlyList<AuditEntry>>(store.ListAudit(since ?? 0, Math.Clamp(limit ?? 100, 1, 10_000))
            .Select(a => new AuditEntry(a.Id, NodeClock.FromUs(a.TimeUs), a.User, a.Role, a.Action, a.Target, a.Status, a.Remote, a.Detail))
            .ToList());

    private static TaskInfo ToTaskInfo(TaskRecord t) => new(t.TaskId, t.AgentId, t.Type, t.State, NodeClock.FromUs(t.CreatedUs), t.CreatedBy);
}
