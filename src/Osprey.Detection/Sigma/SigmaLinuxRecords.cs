using System.Globalization;
using Osprey.Contracts.V1;
using R = Osprey.Detection.Sigma.SigmaEventReaders;

namespace Osprey.Detection.Sigma;

/// <summary>
/// The record kinds Osprey's Linux events yield, with the Sysmon for Linux field names the SigmaHQ rules use
/// (process_creation, file_event and its variants, network_connection, dns_query) and auditd's (EXECVE, SYSCALL,
/// PATH). The table of which field comes from where is in README.md next to this file.
/// </summary>
internal static class SigmaLinuxRecords
{
    public static readonly SigmaRecordKind ProcessCreation = new(
        "process_creation", EventType.ProcessStart, R.IsExecution,
        [
            SigmaField.Read("Image", "the executable's path", R.Image),
            SigmaField.Read("CommandLine", "the arguments joined by spaces, unquoted", R.CommandLine),
            SigmaField.Read("CurrentDirectory", "the working directory", R.CurrentDirectory),
            SigmaField.Read("User", "the user name", R.User),
            SigmaField.Read("LogonId", "the audit login uid", R.LoginUserId),
            SigmaField.Read("ProcessId", "the PID", R.ProcessId),
            SigmaField.Read("ProcessGuid", "the UniquePID", R.ProcessGuid),
            SigmaField.Read("ParentProcessId", "the parent's PID", R.ParentProcessId),
            SigmaField.Read("ParentProcessGuid", "the parent's UniquePID", R.ParentProcessGuid),
            SigmaField.Read("ParentImage", "the parent's executable path", R.ParentImage),
            SigmaField.Read("ParentCommandLine", "the parent's arguments joined by spaces, unquoted", R.ParentCommandLine),
            SigmaField.Read("Hashes", "MD5=…,SHA256=… of the executable", R.Hashes),
            SigmaField.Read("md5", "the executable's MD5", R.Md5),
            SigmaField.Read("sha256", "the executable's SHA-256", R.Sha256),
            SigmaField.Read("TerminalSessionId", "the session ID", R.SessionId),
        ],
        ["CommandLine", "Image", "ParentCommandLine", "ParentImage", "CurrentDirectory"]);

    public static readonly SigmaRecordKind FileCreated = FileRecord("file_event (file created)", EventType.FileCreate, R.IsLinux);

    public static readonly SigmaRecordKind FileWritten = FileRecord("file_event (file content written)", EventType.FileModify, R.IsContentWrite);

    public static readonly SigmaRecordKind FileRenamedTo = FileRecord("file_event (file renamed to)", EventType.FileRename, R.IsLinux);

    public static readonly SigmaRecordKind FileRenamed = FileRecord("file_rename", EventType.FileRename, R.IsLinux,
        SigmaField.Read("SourceFilename", "the path before the rename", R.SourceFilename));

    public static readonly SigmaRecordKind FileDeleted = FileRecord("file_delete", EventType.FileDelete, R.IsLinux);

    public static readonly SigmaRecordKind NetworkConnection = new(
        "network_connection", EventType.NetworkConnection, R.IsLinux,
        [
            .. ActingProcess(),
            SigmaField.Read("Protocol", "tcp or udp", R.Protocol),
            SigmaField.Read("Initiated", "true when outbound, false when inbound", R.Initiated, ["true", "false"]),
            SigmaField.Read("SourceIp", "the initiator's address (local when outbound)", R.SourceIp),
            SigmaField.Read("SourcePort", "the initiator's port", R.SourcePort),
            SigmaField.Read("SourceIsIpv6", "true or false", R.SourceIsIpv6, ["true", "false"]),
            SigmaField.Read("DestinationIp", "the responder's address (remote when outbound)", R.DestinationIp),
            SigmaField.Read("DestinationPort", "the responder's port", R.DestinationPort),
            SigmaField.Read("DestinationIsIpv6", "true or false", R.DestinationIsIpv6, ["true", "false"]),
        ],
        ["Image", "DestinationIp", "SourceIp"]);

    public static readonly SigmaRecordKind DnsQuery = new(
        "dns_query", EventType.DnsQuery, R.IsLinux,
        [
            SigmaField.Read("QueryName", "the name asked for", R.QueryName),
            SigmaField.Read("QueryStatus", "the Windows DNS status of the response code (0 = NOERROR, 9003 = NXDOMAIN)", R.QueryStatus),
            SigmaField.Read("QueryResults", "the resolved addresses, each followed by ';', IPv4 written ::ffff:a.b.c.d", R.QueryResults),
            .. ActingProcess(),
        ],
        ["QueryName", "QueryResults", "Image"]);

    public static readonly SigmaRecordKind AuditdExecve = new(
        "auditd EXECVE (process start)", EventType.ProcessStart, R.IsExecution,
        [
            SigmaField.Fixed("type", "EXECVE", "the record type"),
            SigmaField.Read("argc", "the number of arguments", R.ArgumentCount),
        ],
        [],
        ArgumentField,
        [SigmaField.Read("arguments", "the arguments joined by spaces, unquoted", R.CommandLine)]);

    public static readonly SigmaRecordKind AuditdSyscall = new(
        "auditd SYSCALL (process start)", EventType.ProcessStart, R.IsProcessStart,
        [
            SigmaField.Fixed("type", "SYSCALL", "the record type"),
            SigmaField.Read("SYSCALL", "the call that made the process: execve, or fork for a process that did not execute", R.SpawnSyscall,
                ["execve", "execveat", "fork", "vfork", "clone", "clone3"]),
            SigmaField.Fixed("success", "yes", "always yes: a failed execve starts no process"),
            SigmaField.Read("exe", "the executable's path", R.Image),
            SigmaField.Read("comm", "argv[0]'s last path segment, 15 characters at most", R.Comm),
            SigmaField.Read("pid", "the PID", R.ProcessId),
            SigmaField.Read("ppid", "the parent's PID", R.ParentProcessId),
            SigmaField.Read("uid", "the real uid", R.UserId),
            SigmaField.Read("gid", "the real gid", R.GroupId),
            SigmaField.Read("euid", "the effective uid", R.EffectiveUserId),
            SigmaField.Read("egid", "the effective gid", R.EffectiveGroupId),
            SigmaField.Read("auid", "the audit login uid", R.LoginUserId),
            SigmaField.Read("ses", "the session ID", R.SessionId),
            SigmaField.Read("tty", "the controlling terminal", R.Tty),
        ],
        ["exe", "comm"]);

    public static readonly SigmaRecordKind AuditdPathExecuted = PathRecord("auditd PATH (executable of a process start)", EventType.ProcessStart, R.IsExecution, "NORMAL", R.Image);

    public static readonly SigmaRecordKind AuditdPathCreated = PathRecord("auditd PATH (file created)", EventType.FileCreate, R.IsLinux, "CREATE", R.TargetFilename);

    public static readonly SigmaRecordKind AuditdPathWritten = PathRecord("auditd PATH (file written)", EventType.FileModify, R.IsLinux, "NORMAL", R.TargetFilename);

    public static readonly SigmaRecordKind AuditdPathDeleted = PathRecord("auditd PATH (file deleted)", EventType.FileDelete, R.IsLinux, "DELETE", R.TargetFilename);

    public static readonly SigmaRecordKind AuditdPathRenamedFrom = PathRecord("auditd PATH (file renamed from)", EventType.FileRename, R.IsLinux, "DELETE", R.SourceFilename);

    public static readonly SigmaRecordKind AuditdPathRenamedTo = PathRecord("auditd PATH (file renamed to)", EventType.FileRename, R.IsLinux, "CREATE", R.TargetFilename);

    /// <summary>The event's acting process, as Sysmon names it in file, network and DNS events (where the agent knows it).</summary>
    private static SigmaField[] ActingProcess() =>
    [
        SigmaField.Read("Image", "the acting process's executable path", R.Image),
        SigmaField.Read("User", "the user name", R.User),
        SigmaField.Read("ProcessId", "the acting process's PID", R.ProcessId),
        SigmaField.Read("ProcessGuid", "the acting process's UniquePID", R.ProcessGuid),
    ];

    private static SigmaRecordKind FileRecord(string name, EventType type, Func<Event, bool> applies, params SigmaField[] extra)
    {
        SigmaField[] fields =
        [
            SigmaField.Read("TargetFilename", "the file's path (after a rename, the new one)", R.TargetFilename),
            .. ActingProcess(),
            .. extra,
        ];
        return new SigmaRecordKind(name, type, applies, fields, ["TargetFilename", "Image"]);
    }

    private static SigmaRecordKind PathRecord(string name, EventType type, Func<Event, bool> applies, string nameType, SigmaFieldReader path)
    {
        return new SigmaRecordKind(name, type, applies,
            [SigmaField.Fixed("type", "PATH", "the record type"), SigmaField.Read("name", "the path", path), SigmaField.Fixed("nametype", nameType, "CREATE, DELETE or NORMAL")],
            ["name"]);
    }

    /// <summary>EXECVE's <c>a0</c> … <c>a255</c>: the arguments by position.</summary>
    private static SigmaField? ArgumentField(string name)
    {
        if (name.Length < 2 || name[0] is not ('a' or 'A') || !int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ||
            index > SigmaLimits.MaxArgumentIndex || name.Length > 4)
        {
            return null;
        }

        return SigmaField.Read("a" + index.ToString(CultureInfo.InvariantCulture), "argument " + index.ToString(CultureInfo.InvariantCulture), c => c.Argument(index));
    }
}
