using Google.Protobuf;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;
using Osprey.Node.Ingest;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>An event as the events store keeps it (typed columns and payload), for evaluating hunting queries in memory.</summary>
public sealed class StoredEventRecord(StoredEvent row, IMessage? payload) : IHuntingRecord
{
    public IMessage? Payload { get; } = payload;

    /// <summary>The record of an event as it is stored for <paramref name="agentId"/>.</summary>
    public static StoredEventRecord From(Event e, string agentId) => new(EventColumns.Extract(e, agentId, []), EventColumns.Payload(e));

    public object? Column(string column) => column switch
    {
        "event_id" => row.EventId,
        "agent_id" => row.AgentId,
        "seq" => row.Sequence,
        "event_type" => row.EventType,
        "event_time" => row.EventTimeUs,
        "host" => row.Host,
        "host_ip" => row.HostIp,
        "user_name" => row.UserName,
        "unique_pid" => row.UniquePid,
        "parent_unique_pid" => row.ParentUniquePid,
        "pid" => row.Pid,
        "process_name" => row.ProcessName,
        "process_path" => row.ProcessPath,
        "command_line" => row.CommandLine,
        "file_path" => row.FilePath,
        "file_name" => row.FileName,
        "md5" => row.Md5,
        "sha256" => row.Sha256,
        "local_ip" => row.LocalIp,
        "local_port" => row.LocalPort,
        "remote_ip" => row.RemoteIp,
        "remote_port" => row.RemotePort,
        "protocol" => row.Protocol,
        "dns_name" => row.DnsName,
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not a column of the events table"),
    };
}
