using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Osprey.Contracts.Storage;
using Osprey.Contracts.V1;
using Osprey.Testing.Simulator;

namespace Osprey.Node.Tests.ObjectStorage;

/// <summary>The upload protocol spoken by hand, so tests can send exactly the wrong thing.</summary>
internal static class UploadCalls
{
    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static async Task<UploadState> AgentBeginAsync(SimulatedAgent agent, byte[] content, string name, string? taskId, CancellationToken cancellationToken)
    {
        var request = new UploadBeginRequest { Sha256 = Sha256(content), Size = (ulong)content.Length, FileName = name, TaskId = taskId ?? "" };
        return UploadState.Parser.ParseFrom(await agent.CallAsync("/agent/v1/uploads", request, false, cancellationToken));
    }

    public static async Task<UploadState> AgentCompleteAsync(SimulatedAgent agent, string uploadId, CancellationToken cancellationToken) =>
        UploadState.Parser.ParseFrom(await agent.CallAsync($"/agent/v1/uploads/{uploadId}/complete", new UploadBeginRequest(), false, cancellationToken));

    /// <summary>PATCHes <paramref name="data"/> at <paramref name="offset"/> with the SHA-256 of <paramref name="digestOf"/> (default: of the data).</summary>
    public static async Task<HttpResponseMessage> ChunkAsync(
        HttpClient http, string path, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken, ReadOnlyMemory<byte>? digestOf = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, path) { Content = new ReadOnlyMemoryContent(data) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(UploadProtocol.ChunkContentType);
        request.Headers.Add(UploadProtocol.OffsetHeader, offset.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(UploadProtocol.DigestHeader, UploadProtocol.FormatDigest(SHA256.HashData((digestOf ?? data).Span)));
        return await http.SendAsync(request, cancellationToken);
    }

    public static async Task<JsonElement> OperatorBeginAsync(HttpClient http, byte[] content, string name, CancellationToken cancellationToken, string? declaredSha256 = null)
    {
        using var response = await http.PostAsJsonAsync("/api/v1/storage/uploads", new { sha256 = declaredSha256 ?? Sha256(content), size = content.Length, name }, cancellationToken);
        return await ReadJsonAsync(response, HttpStatusCode.OK, cancellationToken);
    }

    /// <summary>A whole upload through the operator API in chunks of <paramref name="chunk"/> bytes; returns the completed state.</summary>
    public static async Task<JsonElement> PutAsync(HttpClient http, byte[] content, string name, CancellationToken cancellationToken, int chunk = 256 * 1024)
    {
        var state = await OperatorBeginAsync(http, content, name, cancellationToken);
        if (state.GetProperty("complete").GetBoolean())
        {
            return state;
        }
        var uploadId = state.GetProperty("uploadId").GetString()!;
        await SendFromAsync(http, $"/api/v1/storage/uploads/{uploadId}", content, state.GetProperty("offset").GetInt64(), chunk, cancellationToken);
        using var completed = await http.PostAsync($"/api/v1/storage/uploads/{uploadId}/complete", null, cancellationToken);
        return await ReadJsonAsync(completed, HttpStatusCode.OK, cancellationToken);
    }

    /// <summary>Sends the content from <paramref name="from"/> to its end in chunks, each of which must be taken.</summary>
    public static async Task SendFromAsync(HttpClient http, string path, byte[] content, long from, int chunk, CancellationToken cancellationToken)
    {
        for (var offset = from; offset < content.Length; offset += chunk)
        {
            var length = (int)Math.Min(chunk, content.Length - offset);
            using var sent = await ChunkAsync(http, path, offset, content.AsMemory((int)offset, length), cancellationToken);
            Assert.True(sent.StatusCode == HttpStatusCode.NoContent, await sent.Content.ReadAsStringAsync(cancellationToken));
        }
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<List<JsonElement>> ListAsync(HttpClient http, CancellationToken cancellationToken, string query = "") =>
        [.. (await http.GetFromJsonAsync<JsonElement>($"/api/v1/storage{query}", cancellationToken)).EnumerateArray()];
}
