using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>Field readers over Osprey events shared by the Linux record kinds; each reads without allocating.</summary>
internal static class SigmaEventReaders
{
    private const int CommLength = 15;

    public static bool IsLinux(Event e) => e.Device is null || e.Device.OsFamily is OsFamily.Linux or OsFamily.Unspecified;

    /// <summary>A process start that is an execution (not a fork that did not execute, which Sysmon and auditd EXECVE do not report).</summary>
    public static bool IsExecution(Event e) =>
        IsLinux(e) && e.ProcessStart is { } start && (start.SpawnSyscall.Length == 0 || start.SpawnSyscall.StartsWith("exec", StringComparison.Ordinal));

    public static bool IsProcessStart(Event e) => IsLinux(e) && e.ProcessStart is not null;

    /// <summary>A FileModify that changed the content (Sysmon's file create covers overwrites; metadata-only changes are not).</summary>
    public static bool IsContentWrite(Event e) =>
        IsLinux(e) && e.FileModify is { } modify && (modify.Changes.Count == 0 || modify.Changes.Contains("content"));

    public static SigmaFieldValue Image(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.Process?.File?.Path);

    public static SigmaFieldValue CommandLine(SigmaEvaluationContext c) => c.CommandLine;

    public static SigmaFieldValue ProcessId(SigmaEvaluationContext c) => c.Event.Process is { Pid: > 0 } p ? c.Number(p.Pid) : default;

    public static SigmaFieldValue ProcessGuid(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.Process?.UniquePid);

    public static SigmaFieldValue ParentProcessGuid(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ParentUniquePid);

    public static SigmaFieldValue User(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.User?.Name);

    public static SigmaFieldValue Md5(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.Process?.File?.Md5);

    public static SigmaFieldValue Sha256(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.Process?.File?.Sha256);

    /// <summary>Sysmon's <c>Hashes</c>: <c>MD5=…,SHA256=…</c> with the hashes the executable has.</summary>
    public static SigmaFieldValue Hashes(SigmaEvaluationContext c)
    {
        var file = c.Event.Process?.File;
        if (file is null)
        {
            return default;
        }

        var mark = c.Mark();
        if (file.Md5.Length > 0)
        {
            c.Append("MD5=");
            c.Append(file.Md5);
        }

        if (file.Sha256.Length > 0)
        {
            c.Append(c.Mark() > mark ? ",SHA256=" : "SHA256=");
            c.Append(file.Sha256);
        }

        return c.Since(mark);
    }

    public static SigmaFieldValue ParentImage(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Parent?.File?.Path);

    public static SigmaFieldValue ParentCommandLine(SigmaEvaluationContext c) => c.Unquoted(c.Event.ProcessStart?.Parent?.CommandLine);

    public static SigmaFieldValue ParentProcessId(SigmaEvaluationContext c)
    {
        var start = c.Event.ProcessStart;
        var pid = start is null ? 0 : start.ParentPid > 0 ? start.ParentPid : start.Parent?.Pid ?? 0;
        return pid > 0 ? c.Number(pid) : default;
    }

    public static SigmaFieldValue CurrentDirectory(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Cwd);

    public static SigmaFieldValue LoginUserId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Credentials?.LoginUser?.Id);

    public static SigmaFieldValue SessionId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.SessionId);

    public static SigmaFieldValue UserId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Credentials?.User?.Id);

    public static SigmaFieldValue GroupId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Credentials?.Group?.Id);

    public static SigmaFieldValue EffectiveUserId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Credentials?.EffectiveUser?.Id);

    public static SigmaFieldValue EffectiveGroupId(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Credentials?.EffectiveGroup?.Id);

    public static SigmaFieldValue Tty(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.ProcessStart?.Tty);

    /// <summary>The system call that made the process: the start's spawn syscall, execve when the agent did not say.</summary>
    public static SigmaFieldValue SpawnSyscall(SigmaEvaluationContext c) =>
        SigmaFieldValue.Of(c.Event.ProcessStart is { SpawnSyscall.Length: > 0 } start ? start.SpawnSyscall : "execve");

    /// <summary>auditd's <c>comm</c>: the kernel names a process after the file it executed (argv[0]'s last segment as invoked, so insmod, not kmod), at most 15 characters.</summary>
    public static SigmaFieldValue Comm(SigmaEvaluationContext c)
    {
        var first = c.Argument(0);
        if (first.IsPresent)
        {
            var name = SigmaPathKeys.LastSegment(c.Span(first));
            var offset = c.Span(first).Length - name.Length;
            var length = Math.Min(name.Length, CommLength);
            return first.InScratch ? SigmaFieldValue.Scratch(first.Start + offset, length) : SigmaFieldValue.Slice(first.Text!, first.Start + offset, length);
        }

        var processName = c.Event.Process?.Name;
        return string.IsNullOrEmpty(processName) ? default : SigmaFieldValue.Slice(processName, 0, Math.Min(processName.Length, CommLength));
    }

    public static SigmaFieldValue ArgumentCount(SigmaEvaluationContext c) => c.ArgumentCount > 0 ? c.Number(c.ArgumentCount) : default;

    /// <summary>The path of the event's primary file (created, written, deleted, renamed-to).</summary>
    public static SigmaFieldValue TargetFilename(SigmaEvaluationContext c)
    {
        var e = c.Event;
        var file = e.PayloadCase switch
        {
            Event.PayloadOneofCase.FileCreate => e.FileCreate.File,
            Event.PayloadOneofCase.FileModify => e.FileModify.File,
            Event.PayloadOneofCase.FileDelete => e.FileDelete.File,
            Event.PayloadOneofCase.FileRename => e.FileRename.File,
            _ => null,
        };
        return SigmaFieldValue.Of(file?.Path);
    }

    public static SigmaFieldValue SourceFilename(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.FileRename?.OldPath);

    /// <summary>Sysmon's <c>Initiated</c>: "true" for an outbound connection, "false" for an inbound one.</summary>
    public static SigmaFieldValue Initiated(SigmaEvaluationContext c) => c.Event.NetworkConnection?.Direction switch
    {
        Direction.Outbound => SigmaFieldValue.Of("true"),
        Direction.Inbound => SigmaFieldValue.Of("false"),
        _ => default,
    };

    // Sysmon names the initiator Source: the local end of an outbound connection, the remote end of an inbound one.
    public static SigmaFieldValue SourceIp(SigmaEvaluationContext c) => c.Event.NetworkConnection is { } n ? SigmaFieldValue.Of(IsInbound(n) ? n.RemoteIp : n.LocalIp) : default;

    public static SigmaFieldValue DestinationIp(SigmaEvaluationContext c) => c.Event.NetworkConnection is { } n ? SigmaFieldValue.Of(IsInbound(n) ? n.LocalIp : n.RemoteIp) : default;

    public static SigmaFieldValue SourcePort(SigmaEvaluationContext c) => c.Event.NetworkConnection is { } n ? Port(c, IsInbound(n) ? n.RemotePort : n.LocalPort) : default;

    public static SigmaFieldValue DestinationPort(SigmaEvaluationContext c) => c.Event.NetworkConnection is { } n ? Port(c, IsInbound(n) ? n.LocalPort : n.RemotePort) : default;

    public static SigmaFieldValue SourceIsIpv6(SigmaEvaluationContext c) => IsIpv6(c, SourceIp(c));

    public static SigmaFieldValue DestinationIsIpv6(SigmaEvaluationContext c) => IsIpv6(c, DestinationIp(c));

    public static SigmaFieldValue Protocol(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.NetworkConnection?.Protocol);

    public static SigmaFieldValue QueryName(SigmaEvaluationContext c) => SigmaFieldValue.Of(c.Event.DnsQuery?.Name);

    /// <summary>Sysmon's <c>QueryStatus</c>: the Windows DNS status code of the response code (0 for NOERROR, 9003 for NXDOMAIN, 1460 for no answer).</summary>
    public static SigmaFieldValue QueryStatus(SigmaEvaluationContext c) => c.Event.DnsQuery?.ResponseCode switch
    {
        null => default,
        "" => SigmaFieldValue.Of("1460"),
        "NOERROR" => SigmaFieldValue.Of("0"),
        "FORMERR" => SigmaFieldValue.Of("9001"),
        "SERVFAIL" => SigmaFieldValue.Of("9002"),
        "NXDOMAIN" => SigmaFieldValue.Of("9003"),
        "NOTIMP" => SigmaFieldValue.Of("9004"),
        "REFUSED" => SigmaFieldValue.Of("9005"),
        _ => default,
    };

    /// <summary>Sysmon's <c>QueryResults</c>: each address followed by <c>;</c>, IPv4 ones written IPv4-mapped (<c>::ffff:1.2.3.4;</c>).</summary>
    public static SigmaFieldValue QueryResults(SigmaEvaluationContext c)
    {
        if (c.Event.DnsQuery is not { } query || query.ResolvedIps.Count == 0)
        {
            return default;
        }

        var mark = c.Mark();
        foreach (var address in query.ResolvedIps)
        {
            if (!address.Contains(':', StringComparison.Ordinal))
            {
                c.Append("::ffff:");
            }

            c.Append(address);
            c.Append(";");
        }

        return c.Since(mark);
    }

    private static bool IsInbound(NetworkConnectionEvent n) => n.Direction == Direction.Inbound;

    private static SigmaFieldValue Port(SigmaEvaluationContext c, int port) => port > 0 ? c.Number(port) : default;

    private static SigmaFieldValue IsIpv6(SigmaEvaluationContext c, SigmaFieldValue address) =>
        address.IsPresent ? SigmaFieldValue.Of(c.Span(address).Contains(':') ? "true" : "false") : default;
}
