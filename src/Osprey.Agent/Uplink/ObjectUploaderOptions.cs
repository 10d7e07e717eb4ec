using Osprey.Contracts.Storage;

namespace Osprey.Agent.Uplink;

/// <summary>How the agent uploads files into the node's Storage.</summary>
public sealed record ObjectUploaderOptions
{
    /// <summary>Bytes per chunk (the node may ask for smaller ones).</summary>
    public int ChunkBytes { get; init; } = UploadProtocol.DefaultChunkBytes;

    /// <summary>Longest one request (a chunk) may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The upload fails when no chunk got through for this long (the node unreachable or refusing).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromHours(24);
}
