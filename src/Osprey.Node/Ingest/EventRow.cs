namespace Osprey.Node.Ingest;

/// <summary>The typed columns of one stored event, extracted once at ingest.</summary>
public sealed class EventRow
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
    public required byte[] Body { get; init; }
}
