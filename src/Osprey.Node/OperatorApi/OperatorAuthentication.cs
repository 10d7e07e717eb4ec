using Osprey.Node.Hosting;
using Osprey.Node.Storage;

namespace Osprey.Node.OperatorApi;

/// <summary>
/// Bearer-token authentication for /api/v1 and the audit record of every request made there, written
/// after the response status is known (refused requests are audited too).
/// </summary>
public sealed class OperatorAuthentication(RequestDelegate next)
{
    private const string OperatorItem = "osprey.operator";
    private const string DetailItem = "osprey.audit-detail";
    private const string TargetItem = "osprey.audit-target";

    public static Operator? Current(HttpContext http) => http.Items[OperatorItem] as Operator;

    /// <summary>Adds what the audit record of this request should say beyond its route.</summary>
    public static void Audit(HttpContext http, string target, string detail)
    {
        http.Items[TargetItem] = target;
        http.Items[DetailItem] = detail.Length <= 2048 ? detail : detail[..2048];
    }

    public async Task InvokeAsync(HttpContext http, INodeStore store, TimeProvider time)
    {
        if (!http.Request.Path.StartsWithSegments("/api/v1", StringComparison.Ordinal))
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        var header = http.Request.Headers.Authorization.ToString();
        Operator? user = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 && header.Length < 512)
        {
            var record = store.FindUserByApiToken(TokenHash.Of(header[7..].Trim()), time.NowUs());
            if (record is not null)
            {
                user = new Operator(record.Name, record.Role);
            }
        }
        if (user is null)
        {
            await Problems.Unauthorized(header.Length == 0
                ? "an API token is required (Authorization: Bearer TOKEN)"
                : "the API token is not valid, has expired or has been revoked").ExecuteAsync(http).ConfigureAwait(false);
        }
        else
        {
            http.Items[OperatorItem] = user;
            await next(http).ConfigureAwait(false);
        }
        var endpoint = http.GetEndpoint() as RouteEndpoint;
        store.AppendAudit(new AuditRecord
        {
            TimeUs = time.NowUs(),
            User = user?.Name ?? "(unauthenticated)",
            Role = user?.Role ?? "",
            Action = $"{http.Request.Method} {endpoint?.RoutePattern.RawText ?? http.Request.Path.Value}",
            Target = http.Items[TargetItem] as string ?? "",
            Status = http.Response.StatusCode,
            Remote = http.Connection.RemoteIpAddress?.ToString() ?? "",
            Detail = http.Items[DetailItem] as string ?? "",
        });
    }
}
