namespace Osprey.Node.ObjectStorage;

/// <summary>An object in Storage: its key, size, where it came from, and when it was stored and last used.</summary>
public sealed record StoredObject
{
    public required string Sha256 { get; init; }
    public long Size { get; init; }
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public string? AgentId { get; init; }
    public string? TaskId { get; init; }
    public string? UploadedBy { get; init; }
    public long CreatedUs { get; init; }
    public long AccessedUs { get; init; }
}
