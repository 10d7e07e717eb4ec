namespace Osprey.Detection.Tests.Hunting;

/// <summary>One row of the test events table; null columns stay NULL.</summary>
internal sealed record EventRow
{
    public required string EventId { get; init; }

    public string? AgentId { get; init; } = "agent-1";

    public long? Sequence { get; init; }

    public required string EventType { get; init; }

    public long? EventTime { get; init; }

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
}
