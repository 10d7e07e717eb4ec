namespace Osprey.Node.ObjectStorage;

/// <summary>Filters of a Storage listing (all optional), newest first.</summary>
public sealed record ObjectQuery
{
    public string? AgentId { get; init; }
    public string? TaskId { get; init; }
    public string? UploadedBy { get; init; }
    public string? Kind { get; init; }

    /// <summary>Leading hex digits of the SHA-256.</summary>
    public string? Sha256Prefix { get; init; }

    public int Limit { get; init; } = 100;
}
