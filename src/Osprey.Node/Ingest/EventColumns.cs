using Google.Protobuf;
using Osprey.Contracts.V1;
using Osprey.Node.Storage;

namespace Osprey.Node.Ingest;

/// <summary>Maps an event onto the typed hunting columns; everything else is reached through its payload JSON.</summary>
public static class EventColumns
{
    private static readonly JsonFormatter PayloadFormatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
    private static readonly string[] TypeNames = BuildTypeNames();

    public static string TypeName(EventType type)
    {
        var index = (int)type;
        return (uint)index < (uint)TypeNames.Length && TypeNames[index] is { } name ? name : type.ToString();
    }

    /// <summary>The payload message of an event, or null when it has none.</summary>
    public static IMessage? Payload(Event e)
    {
        if (e.PayloadCase == Event.PayloadOneofCase.None)
        {
            return null;
        }
        var field = Event.Descriptor.FindFieldByNumber((int)e.PayloadCase);
        return (IMessage)field.Accessor.GetValue(e);
    }

    /// <summary>The payload of a serialized event as JSON with proto field names; null for no payload or bad bytes.</summary>
    public static string? PayloadJson(byte[]? body)
    {
        if (body is null)
        {
            return null;
        }
        try
        {
            return Payload(Event.Parser.ParseFrom(body)) is { } payload ? PayloadFormatter.Format(payload) : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    public static StoredEvent Extract(Event e, string agentId, byte[] body)
    {
        var process = e.Process;
        var file = PrimaryFile(e);
        string? localIp = null, remoteIp = null, protocol = null, dnsName = null;
        long? localPort = null, remotePort = null;
        switch (e.PayloadCase)
        {
            case Event.PayloadOneofCase.NetworkConnection:
                var c = e.NetworkConnection;
                (localIp, localPort, remoteIp, remotePort, protocol) = (c.LocalIp, c.LocalPort, c.RemoteIp, c.RemotePort, c.Protocol);
                break;
            case Event.PayloadOneofCase.PortListen:
                var l = e.PortListen;
                (localIp, localPort, protocol) = (l.LocalIp, l.LocalPort, l.Protocol);
                break;
            case Event.PayloadOneofCase.DnsQuery:
                dnsName = e.DnsQuery.Name;
                break;
            case Event.PayloadOneofCase.UserLogon or Event.PayloadOneofCase.UserLogoff:
                var session = e.UserLogon ?? e.UserLogoff;
                (remoteIp, remotePort) = (session.RemoteIp, session.RemotePort);
                break;
            case Event.PayloadOneofCase.WindowsEventLog:
                remoteIp = e.WindowsEventLog.RemoteIp;
                break;
        }
        var fileHashes = file ?? process?.File;
        return new StoredEvent
        {
            EventId = e.EventId,
            AgentId = agentId,
            Sequence = (long)e.Sequence,
            EventType = TypeName(e.Type),
            EventTimeUs = e.TimeUs,
            Host = NullIfEmpty(e.Device?.HostName),
            HostIp = NullIfEmpty(e.Device?.Ip),
            UserName = NullIfEmpty(e.User?.Name),
            UniquePid = NullIfEmpty(process?.UniquePid),
            ParentUniquePid = NullIfEmpty(e.ParentUniquePid),
            Pid = process is { Pid: not 0 } ? process.Pid : null,
            ProcessName = NullIfEmpty(process?.Name),
            ProcessPath = NullIfEmpty(process?.File?.Path),
            CommandLine = NullIfEmpty(process?.CommandLine),
            FilePath = NullIfEmpty(file?.Path),
            FileName = NullIfEmpty(file?.Name),
            Md5 = NullIfEmpty(fileHashes?.Md5?.ToLowerInvariant()),
            Sha256 = NullIfEmpty(fileHashes?.Sha256?.ToLowerInvariant()),
            LocalIp = NullIfEmpty(localIp),
            LocalPort = localPort is 0 ? null : localPort,
            RemoteIp = NullIfEmpty(remoteIp),
            RemotePort = remotePort is 0 ? null : remotePort,
            Protocol = NullIfEmpty(protocol),
            DnsName = NullIfEmpty(dnsName),
            Body = body,
        };
    }

    /// <summary>The file an event is about, when its payload names one.</summary>
    private static FileRef? PrimaryFile(Event e) => e.PayloadCase switch
    {
        Event.PayloadOneofCase.FileCreate => e.FileCreate.File,
        Event.PayloadOneofCase.FileModify => e.FileModify.File,
        Event.PayloadOneofCase.FileDelete => e.FileDelete.File,
        Event.PayloadOneofCase.FileRename => e.FileRename.File,
        Event.PayloadOneofCase.ModuleLoad => e.ModuleLoad.Module,
        Event.PayloadOneofCase.DriverLoad => e.DriverLoad.File,
        Event.PayloadOneofCase.ExecutionBlocked => e.ExecutionBlocked.File,
        Event.PayloadOneofCase.DocumentBlocked => e.DocumentBlocked.File,
        _ => null,
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string[] BuildTypeNames()
    {
        var values = Enum.GetValues<EventType>();
        var names = new string[values.Max(v => (int)v) + 1];
        foreach (var value in values)
        {
            names[(int)value] = value.ToString();
        }
        return names;
    }
}
