namespace Osprey.Node.ObjectStorage;

/// <summary>Limits of Storage, the "storage" section of node.json.</summary>
public sealed record ObjectStorageOptions
{
    /// <summary>Largest object; a larger upload is refused when it begins.</summary>
    public long MaxObjectBytes { get; init; } = 1L << 30;

    /// <summary>Total size of the stored objects; storing past it evicts the least recently used objects.</summary>
    public long CapacityBytes { get; init; } = 50L << 30;

    /// <summary>Largest chunk of an upload.</summary>
    public int MaxChunkBytes { get; init; } = 16 << 20;

    /// <summary>An upload that received nothing for this long is discarded.</summary>
    public int UploadExpiryHours { get; init; } = 24;

    /// <summary>Uploads one agent or operator may have open at a time.</summary>
    public int MaxOpenUploadsPerUploader { get; init; } = 16;

    /// <summary>Every problem with these options, empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxObjectBytes is < 1 or > 1L << 40)
        {
            errors.Add($"storage.maxObjectBytes: {MaxObjectBytes} is outside 1..1 TiB");
        }
        if (CapacityBytes < MaxObjectBytes)
        {
            errors.Add($"storage.capacityBytes: {CapacityBytes} is below storage.maxObjectBytes ({MaxObjectBytes})");
        }
        if (MaxChunkBytes is < 64 * 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"storage.maxChunkBytes: {MaxChunkBytes} is outside 64 KiB..64 MiB");
        }
        if (UploadExpiryHours is < 1 or > 24 * 30)
        {
            errors.Add($"storage.uploadExpiryHours: {UploadExpiryHours} is outside 1..720");
        }
        if (MaxOpenUploadsPerUploader is < 1 or > 10_000)
        {
            errors.Add($"storage.maxOpenUploadsPerUploader: {MaxOpenUploadsPerUploader} is outside 1..10000");
        }
        return errors;
    }
}
