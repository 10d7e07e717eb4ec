using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>PortItem: a TCP, UDP or raw socket of /proc/net, with the process holding it when one was found.</summary>
internal sealed class PortObject(ProcSocket socket, ProcessInfo? owner) : ScanObject
{
    public override string Document => "PortItem";

    public ProcSocket Socket => socket;

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "protocol" => One(socket.Protocol),
        "localip" => One(socket.LocalAddress),
        "localport" => One(socket.LocalPort),
        "remoteip" => One(socket.RemoteAddress),
        "remoteport" => One(socket.RemotePort),
        "state" => One(socket.State),
        "isipv6" => One(socket.IsIpv6 ? "true" : "false"),
        "pid" => owner is null ? null : One(owner.Pid),
        "process" => One(owner?.Name),
        "path" => One(owner?.ExePath),
        _ => null,
    };

    public override IocObject ToProto() => new()
    {
        Port = new PortItem
        {
            Protocol = socket.Protocol,
            LocalIp = socket.LocalAddress,
            LocalPort = socket.LocalPort,
            RemoteIp = socket.RemoteAddress,
            RemotePort = socket.RemotePort,
        },
    };
}
