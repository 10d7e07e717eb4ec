using Osprey.Contracts.V1;
using Osprey.Node.AgentApi;

namespace Osprey.Node.ObjectStorage;

public static partial class ObjectStorageEndpoints
{
    private static void MapAgentUploads(IEndpointRouteBuilder app)
    {
        var uploads = app.MapGroup("/agent/v1/uploads").RequireAgentCertificate();
        uploads.MapPost("", AgentBeginAsync);
        uploads.MapPatch("/{uploadId}", (HttpContext http, ObjectStore store, string uploadId) =>
            ChunkAsync(http, store, Uploader.Agent(AgentCertificateFilter.AgentId(http)), uploadId));
        uploads.MapPost("/{uploadId}/complete", AgentCompleteAsync);
    }

    private static async Task<IResult> AgentBeginAsync(HttpContext http, ObjectStore store)
    {
        var (request, invalid) = await ProtobufBody.ReadAsync(http.Request, UploadBeginRequest.Parser, 64 * 1024, http.RequestAborted).ConfigureAwait(false);
        if (request is null)
        {
            return invalid!;
        }
        var declared = new UploadRequest(request.Sha256, (long)Math.Min(request.Size, long.MaxValue), request.FileName, request.Kind, request.TaskId);
        var (status, problem) = await store.BeginAsync(Uploader.Agent(AgentCertificateFilter.AgentId(http)), declared, http.RequestAborted).ConfigureAwait(false);
        return problem is null ? ProtobufBody.Write(ToState(status!, store)) : Problem(http, problem);
    }

    private static async Task<IResult> AgentCompleteAsync(HttpContext http, ObjectStore store, string uploadId)
    {
        var (status, problem) = await store.CompleteAsync(Uploader.Agent(AgentCertificateFilter.AgentId(http)), uploadId, http.RequestAborted).ConfigureAwait(false);
        return problem is null ? ProtobufBody.Write(ToState(status!, store)) : Problem(http, problem);
    }

    private static UploadState ToState(UploadStatus status, ObjectStore store) => new()
    {
        UploadId = status.UploadId ?? "",
        Offset = (ulong)status.Offset,
        Complete = status.Complete,
        MaxChunkBytes = (uint)store.MaxChunkBytes,
        Sha256 = status.Sha256,
    };
}
