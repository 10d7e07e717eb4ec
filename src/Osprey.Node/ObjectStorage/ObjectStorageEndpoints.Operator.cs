using Microsoft.Net.Http.Headers;
using Osprey.Contracts.Storage;
using Osprey.Node.Hosting;
using Osprey.Node.OperatorApi;

namespace Osprey.Node.ObjectStorage;

public static partial class ObjectStorageEndpoints
{
    /// <summary>Who may put objects into Storage: everyone but the read-only auditor.</summary>
    private static readonly string[] Uploaders = [Roles.Administrator, Roles.SeniorSecurityOfficer, Roles.SecurityOfficer];

    private static void MapOperatorStorage(IEndpointRouteBuilder app)
    {
        var storage = app.MapGroup("/api/v1/storage");
        storage.MapGet("", ListObjects).RequireRoles(RoleFilter.Readers);
        storage.MapGet("/{sha256}", Download).RequireRoles(RoleFilter.Readers);
        storage.MapDelete("/{sha256}", DeleteAsync).RequireRoles(RoleFilter.Officers);
        storage.MapPost("/uploads", OperatorBeginAsync).RequireRoles(Uploaders);
        storage.MapPatch("/uploads/{uploadId}", (HttpContext http, ObjectStore store, string uploadId) =>
        {
            OperatorAuthentication.Audit(http, uploadId, $"offset={http.Request.Headers[UploadProtocol.OffsetHeader]} length={http.Request.ContentLength}");
            return ChunkAsync(http, store, Uploader.Operator(OperatorAuthentication.Current(http)!.Name), uploadId);
        }).RequireRoles(Uploaders);
        storage.MapPost("/uploads/{uploadId}/complete", OperatorCompleteAsync).RequireRoles(Uploaders);
    }

    private static IResult ListObjects(ObjectStore store, string? agent, string? task, string? uploadedBy, string? kind, string? sha256, int? limit)
    {
        if (sha256 is not null && (sha256.Length > 64 || !sha256.All(char.IsAsciiHexDigit)))
        {
            return Problems.BadRequest("sha256 filters by leading hex digits of the SHA-256");
        }
        var query = new ObjectQuery { AgentId = agent, TaskId = task, UploadedBy = uploadedBy, Kind = kind, Sha256Prefix = sha256, Limit = Math.Clamp(limit ?? 100, 1, 10_000) };
        return Results.Ok<IReadOnlyList<StorageObjectInfo>>(store.List(query).Select(ToInfo).ToList());
    }

    private static IResult Download(HttpContext http, ObjectStore store, string sha256)
    {
        OperatorAuthentication.Audit(http, sha256, "");
        var key = UploadProtocol.NormalizeSha256(sha256);
        if (key is null)
        {
            return Problems.BadRequest("name the object by its SHA-256 (64 hex digits)");
        }
        var (stored, content) = store.Open(key);
        if (stored is null)
        {
            return Problems.NotFound($"no object {key} in Storage");
        }
        http.Response.Headers[UploadProtocol.ObjectDigestHeader] = UploadProtocol.FormatDigest(Convert.FromHexString(key));
        return Results.Stream(content!, "application/octet-stream", stored.Name, NodeClock.FromUs(stored.CreatedUs),
            new EntityTagHeaderValue($"\"{key}\""), enableRangeProcessing: true);
    }

    private static async Task<IResult> DeleteAsync(HttpContext http, ObjectStore store, string sha256)
    {
        OperatorAuthentication.Audit(http, sha256, "");
        var key = UploadProtocol.NormalizeSha256(sha256);
        if (key is null)
        {
            return Problems.BadRequest("name the object by its SHA-256 (64 hex digits)");
        }
        return await store.DeleteAsync(key, http.RequestAborted).ConfigureAwait(false) ? Results.NoContent() : Problems.NotFound($"no object {key} in Storage");
    }

    private static async Task<IResult> OperatorBeginAsync(HttpContext http, ObjectStore store, BeginUploadRequest request)
    {
        OperatorAuthentication.Audit(http, request.Sha256 ?? "", $"size={request.Size} name={request.Name} kind={request.Kind}");
        if (request.Size is null)
        {
            return Problems.BadRequest("size is required: the object's length in bytes");
        }
        var uploader = Uploader.Operator(OperatorAuthentication.Current(http)!.Name);
        var declared = new UploadRequest(request.Sha256, request.Size.Value, request.Name, request.Kind, null);
        var (status, problem) = await store.BeginAsync(uploader, declared, http.RequestAborted).ConfigureAwait(false);
        return problem is null ? Results.Ok(ToDto(status!, store)) : Problem(http, problem);
    }

    private static async Task<IResult> OperatorCompleteAsync(HttpContext http, ObjectStore store, string uploadId)
    {
        OperatorAuthentication.Audit(http, uploadId, "");
        var uploader = Uploader.Operator(OperatorAuthentication.Current(http)!.Name);
        var (status, problem) = await store.CompleteAsync(uploader, uploadId, http.RequestAborted).ConfigureAwait(false);
        if (status is not null)
        {
            OperatorAuthentication.Audit(http, status.Sha256, $"upload={uploadId} size={status.Size}");
        }
        return problem is null ? Results.Ok(ToDto(status!, store)) : Problem(http, problem);
    }

    private static UploadStateDto ToDto(UploadStatus status, ObjectStore store) =>
        new(status.UploadId, status.Sha256, status.Size, status.Offset, status.Complete, store.MaxChunkBytes, status.Object is null ? null : ToInfo(status.Object));

    private static StorageObjectInfo ToInfo(StoredObject o) =>
        new(o.Sha256, o.Size, o.Name, o.Kind, o.AgentId, o.TaskId, o.UploadedBy, NodeClock.FromUs(o.CreatedUs), NodeClock.FromUs(o.AccessedUs));
}
