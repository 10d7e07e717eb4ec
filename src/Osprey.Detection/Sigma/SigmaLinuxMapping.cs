namespace Osprey.Detection.Sigma;

/// <summary>
/// Resolves a rule's log source to Osprey's Linux record kinds, or says why Osprey has no such records (the rule is
/// then reported unsupported with that reason).
/// </summary>
internal static class SigmaLinuxMapping
{
    private const string WindowsOnly = "a Windows executable property (version resource, integrity level) that Linux processes do not have";

    private static readonly Dictionary<string, string> ProcessUnproduced = new(StringComparer.OrdinalIgnoreCase)
    {
        ["OriginalFileName"] = WindowsOnly,
        ["Description"] = WindowsOnly,
        ["Product"] = WindowsOnly,
        ["Company"] = WindowsOnly,
        ["FileVersion"] = WindowsOnly,
        ["IntegrityLevel"] = WindowsOnly,
        ["Imphash"] = "import hashes are computed for Windows PE files only",
        ["ParentUser"] = "Osprey's process start names the parent by UniquePID, PID, path and command line, not by its user",
        ["LogonGuid"] = "Linux has no logon GUID; LogonId carries the audit login uid",
    };

    private static readonly Dictionary<string, string> FileUnproduced = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CreationUtcTime"] = "the file's creation time is not part of Sigma's file mapping in Osprey",
    };

    private static readonly Dictionary<string, string> NetworkUnproduced = new(StringComparer.OrdinalIgnoreCase)
    {
        ["DestinationHostname"] = "Osprey's connection events carry addresses, not host names; names are in separate DNS query events (category dns_query)",
        ["SourceHostname"] = "Osprey's connection events carry addresses, not host names",
        ["DestinationPortName"] = "port service names are not recorded",
        ["SourcePortName"] = "port service names are not recorded",
    };

    private static readonly Dictionary<string, string> DnsUnproduced = new(StringComparer.OrdinalIgnoreCase);

    private static readonly Dictionary<string, string> AuditdUnproduced = new(StringComparer.OrdinalIgnoreCase)
    {
        ["key"] = "audit rule keys (-k) name the rules of an auditd configuration; Osprey derives auditd records from its own sensors, which have no rule keys",
        ["unit"] = "SERVICE_START and SERVICE_STOP records are not produced; Osprey records unit file changes (ServiceChange), not service starts and stops",
        ["data"] = "TTY records (keystrokes) are not produced",
        ["acct"] = "USER_* authentication records are not produced",
        ["addr"] = "USER_* authentication records are not produced",
        ["hostname"] = "USER_* authentication records are not produced",
        ["res"] = "USER_* authentication records are not produced",
        ["terminal"] = "USER_* authentication records are not produced",
        ["proctitle"] = "PROCTITLE records are not produced; EXECVE a0…aN carry the arguments",
    };

    private static readonly Dictionary<string, string> RawLogServices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auth"] = "authentication log lines (Osprey turns them into UserLogon events, which have no Sigma log source)",
        ["sshd"] = "sshd log lines",
        ["syslog"] = "syslog lines",
        ["sudo"] = "sudo log lines",
        ["cron"] = "cron log lines",
        ["clamav"] = "ClamAV log lines",
        ["vsftpd"] = "vsftpd log lines",
        ["guacamole"] = "Apache Guacamole log lines",
        ["modsecurity"] = "ModSecurity log lines",
        ["apache"] = "Apache log lines",
    };

    /// <summary>The mapping of <paramref name="source"/>; throws an Unsupported <see cref="SigmaRuleException"/> with the reason when there is none.</summary>
    public static SigmaLogSourceMapping Resolve(SigmaLogSource source)
    {
        if (source.Product is { } product && !string.Equals(product, "linux", StringComparison.OrdinalIgnoreCase))
        {
            throw SigmaRuleException.Unsupported($"log source '{source}': product '{product}' is not mapped; Osprey's Sigma mapping covers Linux events");
        }

        if (source.Category is { } category)
        {
            return category.ToLowerInvariant() switch
            {
                "process_creation" => new("process_creation", [SigmaLinuxRecords.ProcessCreation], ProcessUnproduced),
                "file_event" => new("file_event", [SigmaLinuxRecords.FileCreated, SigmaLinuxRecords.FileWritten, SigmaLinuxRecords.FileRenamedTo], FileUnproduced),
                "file_rename" => new("file_rename", [SigmaLinuxRecords.FileRenamed], FileUnproduced),
                "file_delete" => new("file_delete", [SigmaLinuxRecords.FileDeleted], FileUnproduced),
                "network_connection" => new("network_connection", [SigmaLinuxRecords.NetworkConnection], NetworkUnproduced),
                "dns_query" => new("dns_query", [SigmaLinuxRecords.DnsQuery], DnsUnproduced),
                "file_change" => throw Unsupported(source, "file_change is Sysmon's file creation time change; Linux has no settable creation time and Osprey records no time changes"),
                "file_access" => throw Unsupported(source, "Osprey records file creation, writes, renames and deletions, not reads"),
                "process_termination" => throw Unsupported(source, "process stops are recorded (ProcessStop) but not yet mapped to Sigma"),
                _ => throw Unsupported(source, $"Osprey produces no Linux events for category '{category}'"),
            };
        }

        if (source.Service is { } service)
        {
            if (string.Equals(service, "auditd", StringComparison.OrdinalIgnoreCase))
            {
                return new("auditd",
                    [
                        SigmaLinuxRecords.AuditdExecve, SigmaLinuxRecords.AuditdSyscall, SigmaLinuxRecords.AuditdPathExecuted,
                        SigmaLinuxRecords.AuditdPathCreated, SigmaLinuxRecords.AuditdPathWritten, SigmaLinuxRecords.AuditdPathDeleted,
                        SigmaLinuxRecords.AuditdPathRenamedFrom, SigmaLinuxRecords.AuditdPathRenamedTo,
                    ],
                    AuditdUnproduced,
                    "Osprey derives auditd EXECVE and SYSCALL records (execve, or fork for a process that did not execute) from process starts and PATH records from process starts and file changes; other record types and system calls are not produced");
            }

            throw Unsupported(source, RawLogServices.TryGetValue(service, out var what)
                ? $"the rule searches raw {what}, which Osprey does not collect"
                : $"Osprey does not collect the '{service}' log");
        }

        throw Unsupported(source, "with neither category nor service the rule searches raw system log lines, which Osprey does not collect");
    }

    private static SigmaRuleException Unsupported(SigmaLogSource source, string reason) => SigmaRuleException.Unsupported($"log source '{source}': {reason}");
}
