namespace Osprey.Node.Storage;

/// <summary>
/// One stored event: its typed columns, plus the serialized event when it is being written (Body) or its
/// payload as JSON when it is read back (Attrs).
/// </summary>
public sealed record StoredEvent
{
    public required string EventId { get; init; }
    public required string AgentId { get; init; }
    public long Sequence { get; init; }
    public required string EventType { get; init; }
    public long EventTimeUs { get; init; }
    public string? Host { get; init; }
    public string? HostIp { get; init; }
    public string? UserName { get; init; }
    public string? UniquePid { get; init; }
    public string? ParentUniquePid { get; init; }
    public long? Pid { get; init; }
    public string? ProcessName { get; init; }
    public string? ProcessPath { get; init; }
    public string? CommandLine { get; init; }
    public string? FilePath { get; init; }
    public string? FileName { get; init; }
    public string? Md5 { get; init; }
    public string? Sha256 { get; init; }
    public string? LocalIp { get; init; }
    public long? LocalPort { get; init; }
    public string? RemoteIp { get; init; }
    public long? RemotePort { get; init; }
    public string? Protocol { get; init; }
    public string? DnsName { get; init; }
    public string? Attrs { get; init; }
    public byte[]? Body { get; init; }
}
