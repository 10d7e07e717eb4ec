using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Osprey.Contracts.V1;
using Osprey.Detection.Hunting;

namespace Osprey.Detection.Events;

/// <summary>
/// Reads a field of an event by its hunting name, the same names queries use: the typed fields (ProcessPath,
/// CommandLine, RemotePort…) and any payload field by its name or dotted path (Parent.File.Sha256). Values
/// come back as text (numbers invariant); null when the event has no such field.
/// </summary>
public static class EventFields
{
    public static string? Get(Event e, string field)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(field);
        var typed = Typed(e, HuntingNames.Normalize(field));
        if (typed.Known)
        {
            return typed.Value;
        }
        return Payload(e) is { } payload ? Path(payload, field.Split('.')) : null;
    }

    private static (bool Known, string? Value) Typed(Event e, string name)
    {
        var process = e.Process;
        var file = PrimaryFile(e) ?? process?.File;
        return name switch
        {
            "eventid" => (true, e.EventId),
            "agentid" => (true, e.Device?.AgentId),
            "sequence" => (true, Number(e.Sequence)),
            "eventtype" => (true, e.Type.ToString()),
            "eventtime" => (true, Number(e.TimeUs)),
            "host" => (true, e.Device?.HostName),
            "hostip" => (true, e.Device?.Ip),
            "username" => (true, e.User?.Name),
            "uniquepid" => (true, process?.UniquePid),
            "parentuniquepid" => (true, e.ParentUniquePid),
            "pid" => (true, process is null ? null : Number(process.Pid)),
            "processname" => (true, process?.Name),
            "processpath" => (true, process?.File?.Path),
            "commandline" => (true, process?.CommandLine),
            "filepath" => (true, file?.Path),
            "filename" => (true, file?.Name),
            "md5" => (true, file?.Md5),
            "sha256" => (true, file?.Sha256),
            "localip" => (true, e.NetworkConnection?.LocalIp ?? e.PortListen?.LocalIp),
            "localport" => (true, e.NetworkConnection is { } c ? Number(c.LocalPort) : e.PortListen is { } l ? Number(l.LocalPort) : null),
            "remoteip" => (true, e.NetworkConnection?.RemoteIp ?? e.UserLogon?.RemoteIp ?? e.UserLogoff?.RemoteIp),
            "remoteport" => (true, e.NetworkConnection is { } r ? Number(r.RemotePort) : null),
            "protocol" => (true, e.NetworkConnection?.Protocol ?? e.PortListen?.Protocol),
            "dnsname" => (true, e.DnsQuery?.Name),
            _ => (false, null),
        };
    }

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

    private static IMessage? Payload(Event e) =>
        e.PayloadCase == Event.PayloadOneofCase.None ? null : (IMessage)Event.Descriptor.FindFieldByNumber((int)e.PayloadCase).Accessor.GetValue(e);

    private static string? Path(IMessage message, string[] segments)
    {
        var current = message;
        for (var i = 0; i < segments.Length; i++)
        {
            var wanted = HuntingNames.Normalize(segments[i]);
            var field = current.Descriptor.Fields.InFieldNumberOrder().FirstOrDefault(f => HuntingNames.Normalize(f.Name) == wanted);
            if (field is null)
            {
                return null;
            }
            var value = field.Accessor.GetValue(current);
            if (i == segments.Length - 1)
            {
                return Text(field, value);
            }
            if (field.FieldType != FieldType.Message || field.IsRepeated || value is not IMessage next)
            {
                return null;
            }
            current = next;
        }
        return null;
    }

    private static string? Text(FieldDescriptor field, object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f when field.FieldType != FieldType.Enum => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable list and not string => string.Join(",", list.Cast<object>().Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))),
        _ => value.ToString(),
    };

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
