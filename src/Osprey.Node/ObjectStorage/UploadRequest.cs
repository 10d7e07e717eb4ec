namespace Osprey.Node.ObjectStorage;

/// <summary>The object an upload declares: its SHA-256 (hex), size, name, kind and the task it belongs to.</summary>
public sealed record UploadRequest(string? Sha256, long Size, string? Name, string? Kind, string? TaskId);
