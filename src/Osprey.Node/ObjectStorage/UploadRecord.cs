namespace Osprey.Node.ObjectStorage;

/// <summary>An open upload: the declared object, who sends it, and how many bytes are on disk (fsynced).</summary>
public sealed record UploadRecord
{
    public required string UploadId { get; init; }
    public required string Sha256 { get; init; }
    public long Size { get; init; }
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public string? AgentId { get; init; }
    public string? TaskId { get; init; }
    public string? UploadedBy { get; init; }

    /// <summary><see cref="Uploader.Key"/>: one open upload per uploader and object.</summary>
    public required string Uploader { get; init; }

    public long Received { get; init; }
    public long CreatedUs { get; init; }
    public long UpdatedUs { get; init; }
}
