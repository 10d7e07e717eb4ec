using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Osprey.Contracts.Storage;
using Osprey.Node.Hosting;

namespace Osprey.Node.ObjectStorage;

/// <summary>
/// Storage over HTTP: uploads for agents under /agent/v1/uploads (protobuf, mutual TLS) and the operator's
/// /api/v1/storage (JSON, API token); both send chunks the same way (<see cref="UploadProtocol"/>).
/// </summary>
public static partial class ObjectStorageEndpoints
{
    public static IEndpointRouteBuilder MapObjectStorage(this IEndpointRouteBuilder app)
    {
        app.ServiceProvider.GetRequiredService<ObjectStore>().Initialize();
        MapAgentUploads(app);
        MapOperatorStorage(app);
        return app;
    }

    /// <summary>PATCH of one chunk: Upload-Offset and Content-Digest headers, raw bytes; 204 with the new Upload-Offset.</summary>
    private static async Task<IResult> ChunkAsync(HttpContext http, ObjectStore store, Uploader uploader, string uploadId)
    {
        var request = http.Request;
        if (!long.TryParse(request.Headers[UploadProtocol.OffsetHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return Problems.BadRequest($"a chunk needs its offset in the header {UploadProtocol.OffsetHeader} (a decimal byte count)");
        }
        var encoding = request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.BadRequest($"a chunk is sent as raw bytes; content encoding '{encoding}' is not accepted");
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = store.MaxChunkBytes;
        }
        var digest = UploadProtocol.ParseDigest(request.Headers[UploadProtocol.DigestHeader].ToString());
        long? received;
        StorageProblem? problem;
        try
        {
            (received, problem) = await store.AppendAsync(uploader, uploadId, offset, digest, request.Body, request.ContentLength, http.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge($"a chunk is at most {store.MaxChunkBytes} bytes; nothing was appended");
        }
        catch (BadHttpRequestException e)
        {
            return Problems.BadRequest($"the chunk could not be read ({e.Message}); nothing was appended");
        }
        catch (Exception e) when (e is IOException or OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The sender went away mid-chunk; the upload stays at its offset and nobody is left to answer.
            return Results.Empty;
        }
        if (problem is not null)
        {
            return Problem(http, problem);
        }
        http.Response.Headers[UploadProtocol.OffsetHeader] = received!.Value.ToString(CultureInfo.InvariantCulture);
        return Results.NoContent();
    }

    private static IResult Problem(HttpContext http, StorageProblem problem)
    {
        if (problem.Offset is { } offset)
        {
            http.Response.Headers[UploadProtocol.OffsetHeader] = offset.ToString(CultureInfo.InvariantCulture);
        }
        return problem.Kind switch
        {
            StorageProblemKind.NotFound => Problems.NotFound(problem.Message),
            StorageProblemKind.Conflict => Problems.Conflict(problem.Message),
            StorageProblemKind.TooLarge => Problems.TooLarge(problem.Message),
            StorageProblemKind.InsufficientSpace => Results.Problem(problem.Message, statusCode: StatusCodes.Status507InsufficientStorage, title: "Insufficient storage"),
            _ => Problems.BadRequest(problem.Message),
        };
    }
}
