using System.Globalization;
using Osprey.Contracts.V1;
using Osprey.Detection.OpenIoc;

namespace Osprey.Node.Detection;

/// <summary>
/// The OpenIOC objects one telemetry event shows, so IOC rules run on the stream and over the events database: the
/// process the event is about (ProcessItem), the file it names or the process's executable (FileItem), a connection
/// or listening socket (PortItem), a DNS query (DnsEntryItem). Values are written as the agent's IOC scan writes them.
/// </summary>
public static class EventIocObjects
{
    /// <summary>The terms telemetry carries; an indicator on any other term is reported as not evaluated on the node.</summary>
    public static readonly IocTermCatalog Telemetry = new(IocTermCatalog.Endpoint.Terms.Where(t => Supported(t.Search)));

    public static IocObjectSet From(Event e)
    {
        var objects = new IocObjectSet([]);
        if (e.Process is { } process)
        {
            objects.Add(new ProcessObject(process, e.User?.Name, e.PayloadCase == Event.PayloadOneofCase.ProcessStart ? e.ProcessStart.Parent?.Pid : null));
        }
        var file = e.PayloadCase switch
        {
            Event.PayloadOneofCase.FileCreate => e.FileCreate.File,
            Event.PayloadOneofCase.FileModify => e.FileModify.File,
            Event.PayloadOneofCase.FileDelete => e.FileDelete.File,
            Event.PayloadOneofCase.FileRename => e.FileRename.File,
            Event.PayloadOneofCase.ModuleLoad => e.ModuleLoad.Module,
            Event.PayloadOneofCase.ExecutionBlocked => e.ExecutionBlocked.File,
            Event.PayloadOneofCase.DocumentBlocked => e.DocumentBlocked.File,
            Event.PayloadOneofCase.ProcessStart => e.Process?.File,
            _ => null,
        };
        if (file is { Path.Length: > 0 })
        {
            objects.Add(new FileObject(file));
        }
        switch (e.PayloadCase)
        {
            case Event.PayloadOneofCase.NetworkConnection:
                var c = e.NetworkConnection;
                objects.Add(new PortObject(c.LocalIp, c.LocalPort, c.RemoteIp, c.RemotePort, c.Protocol, e.Process));
                break;
            case Event.PayloadOneofCase.PortListen:
                var l = e.PortListen;
                objects.Add(new PortObject(l.LocalIp, l.LocalPort, "", 0, l.Protocol, e.Process));
                break;
            case Event.PayloadOneofCase.DnsQuery:
                objects.Add(new DnsObject(e.DnsQuery));
                break;
        }
        return objects;
    }

    private static bool Supported(string search) => search.ToLowerInvariant() switch
    {
        "processitem/pid" or "processitem/parentpid" or "processitem/uniquepid" or "processitem/name" or "processitem/path" or "processitem/arguments"
            or "processitem/username" or "processitem/starttime" => true,
        "fileitem/fullpath" or "fileitem/filepath" or "fileitem/filename" or "fileitem/fileextension" or "fileitem/sizeinbytes" or "fileitem/md5sum"
            or "fileitem/sha256sum" or "fileitem/created" or "fileitem/modified" or "fileitem/accessed" => true,
        "portitem/pid" or "portitem/process" or "portitem/path" or "portitem/localip" or "portitem/remoteip" or "portitem/localport" or "portitem/remoteport"
            or "portitem/protocol" or "portitem/isipv6" => true,
        "dnsentryitem/host" or "dnsentryitem/recordname" or "dnsentryitem/recordtype" or "dnsentryitem/recorddata/ipv4address"
            or "dnsentryitem/recorddata/ipv6address" => true,
        _ => false,
    };

    /// <summary>Telemetry leaves a number it does not know at 0, so 0 is no value here.</summary>
    private abstract class TermObject : IocTermObject
    {
        protected static IReadOnlyList<string>? NonZero(long value) => value == 0 ? null : [value.ToString(CultureInfo.InvariantCulture)];
    }

    private sealed class ProcessObject(ProcessRef process, string? userName, int? parentPid) : TermObject
    {
        public override string Document => "ProcessItem";

        protected override IReadOnlyList<string>? Term(string term) => term switch
        {
            "name" => One(process.Name),
            "path" => One(process.File?.Path),
            "arguments" => One(process.CommandLine),
            "pid" => NonZero(process.Pid),
            "parentpid" => parentPid is { } p ? NonZero(p) : null,
            "uniquepid" => One(process.UniquePid),
            "username" => One(userName),
            "starttime" => Time(process.StartTimeUs),
            _ => null,
        };
    }

    private sealed class FileObject(FileRef file) : TermObject
    {
        public override string Document => "FileItem";

        protected override IReadOnlyList<string>? Term(string term) => term switch
        {
            "fullpath" => One(file.Path),
            "filepath" => One(Path.GetDirectoryName(file.Path) ?? "/"),
            "filename" => One(file.Name.Length > 0 ? file.Name : Path.GetFileName(file.Path)),
            "fileextension" => One(Path.GetExtension(file.Path).TrimStart('.')),
            "sizeinbytes" => file.Size > 0 ? [file.Size.ToString(CultureInfo.InvariantCulture)] : null,
            "md5sum" => One(file.Md5.ToLowerInvariant()),
            "sha256sum" => One(file.Sha256.ToLowerInvariant()),
            "created" => Time(file.CreatedUs),
            "modified" => Time(file.ModifiedUs),
            "accessed" => Time(file.AccessedUs),
            _ => null,
        };
    }

    private sealed class PortObject(string localIp, long localPort, string remoteIp, long remotePort, string protocol, ProcessRef? process) : TermObject
    {
        public override string Document => "PortItem";

        protected override IReadOnlyList<string>? Term(string term) => term switch
        {
            "localip" => One(localIp),
            "localport" => NonZero(localPort),
            "remoteip" => One(remoteIp),
            "remoteport" => NonZero(remotePort),
            "protocol" => One(protocol.ToUpperInvariant()),
            "isipv6" => One((localIp.Contains(':', StringComparison.Ordinal) || remoteIp.Contains(':', StringComparison.Ordinal)) ? "true" : "false"),
            "pid" => process is null ? null : NonZero(process.Pid),
            "process" => One(process?.Name),
            "path" => One(process?.File?.Path),
            _ => null,
        };
    }

    private sealed class DnsObject(DnsQueryEvent query) : TermObject
    {
        public override string Document => "DnsEntryItem";

        protected override IReadOnlyList<string>? Term(string term) => term switch
        {
            "host" or "recordname" => One(query.Name),
            "recordtype" => One(query.QueryType),
            "recorddata/ipv4address" => query.ResolvedIps.Where(ip => !ip.Contains(':', StringComparison.Ordinal)).ToList() is { Count: > 0 } v4 ? v4 : null,
            "recorddata/ipv6address" => query.ResolvedIps.Where(ip => ip.Contains(':', StringComparison.Ordinal)).ToList() is { Count: > 0 } v6 ? v6 : null,
            _ => null,
        };
    }
}
