using System.Text.Json;
using System.Text.Json.Serialization;

namespace Osprey.Node.ObjectStorage;

/// <summary>POST /api/v1/storage/uploads.</summary>
public sealed record BeginUploadRequest(string? Sha256, long? Size, string? Name, string? Kind);

/// <summary>Where an upload stands; Object is set once it is complete.</summary>
public sealed record UploadStateDto(string? UploadId, string Sha256, long Size, long Offset, bool Complete, int MaxChunkBytes, StorageObjectInfo? Object);

/// <summary>An object in Storage as listed.</summary>
public sealed record StorageObjectInfo(
    string Sha256, long Size, string Name, string Kind, string? AgentId, string? TaskId, string? UploadedBy, DateTimeOffset StoredAt, DateTimeOffset LastAccess);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BeginUploadRequest))]
[JsonSerializable(typeof(UploadStateDto))]
[JsonSerializable(typeof(StorageObjectInfo))]
[JsonSerializable(typeof(IReadOnlyList<StorageObjectInfo>))]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
