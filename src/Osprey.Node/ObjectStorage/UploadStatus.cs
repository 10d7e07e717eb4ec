namespace Osprey.Node.ObjectStorage;

/// <summary>Where an upload stands: the next offset, or the stored object once complete.</summary>
public sealed record UploadStatus(string? UploadId, string Sha256, long Size, long Offset, StoredObject? Object)
{
    public bool Complete => Object is not null;
}
