using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;
using static Osprey.Detection.Tests.Sigma.SigmaTestRules;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>How Osprey events appear to Sigma rules: Sysmon for Linux field names and forms, auditd records, and what is not produced.</summary>
public sealed class SigmaMappingTests
{
    private const string Auditd = "product: linux\n    service: auditd";
    private const string FileEvent = "category: file_event\n    product: linux";
    private const string Network = "category: network_connection\n    product: linux";
    private const string Dns = "category: dns_query\n    product: linux";

    [Fact]
    public void CommandLine_IsTheArgumentsJoinedBySpacesWithoutTheAgentsQuoting()
    {
        var exec = Exec("/usr/bin/sh", ["sh", "-c", "echo \"aGk=\" | base64 -d | sh"], parentArgv: ["bash", "-c", "run it"]);
        Assert.Equal("sh -c \"echo \\\"aGk=\\\" | base64 -d | sh\"", exec.Process.CommandLine);
        Assert.True(Matches("selection:\n    CommandLine: 'sh -c echo \"aGk=\" | base64 -d | sh'\ncondition: selection", exec));
        Assert.True(Matches("selection:\n    CommandLine|endswith: '| sh'\ncondition: selection", exec));
        Assert.True(Matches("selection:\n    ParentCommandLine: 'bash -c run it'\ncondition: selection", exec));
        Assert.False(Matches("selection:\n    CommandLine|contains: '\\\"'\ncondition: selection", Exec("/usr/bin/sh", ["sh", "-c", "a b"])));
    }

    [Fact]
    public void ProcessFields_ComeFromTheStartAndItsParent()
    {
        var exec = Exec("/usr/bin/id", ["id"], parentImage: "/usr/sbin/sshd", user: "alice", uid: "1000", cwd: "/home/alice");
        Assert.True(Matches("selection:\n    Image: '/usr/bin/id'\n    ParentImage: '/usr/sbin/sshd'\n    User: alice\n    LogonId: 1000\n    CurrentDirectory: '/home/alice'\n    ProcessId: 4242\n    ParentProcessId: 100\n    ProcessGuid: 'u-4242'\n    ParentProcessGuid: 'u-100'\n    TerminalSessionId: 7\ncondition: selection", exec));
        Assert.True(Matches("selection:\n    Hashes|contains: 'MD5=0123456789ABCDEF0123456789ABCDEF'\n    md5: '0123456789abcdef0123456789abcdef'\n    sha256|startswith: 'aaaa'\ncondition: selection", exec));
        Assert.False(Matches("selection:\n    User: root\ncondition: selection", exec));
    }

    [Fact]
    public void AForkThatDidNotExecute_IsNoProcessCreation_ButAnAuditdSyscallRecord()
    {
        var fork = Exec("/usr/bin/bash", ["bash", "-c", "curl x | sh"], spawn: "fork");
        Assert.False(Matches("selection:\n    Image|endswith: '/bash'\ncondition: selection", fork));
        Assert.False(Matches("selection:\n    type: EXECVE\n    a0: bash\ncondition: selection", fork, Auditd));
        Assert.True(Matches("selection:\n    type: SYSCALL\n    SYSCALL: fork\n    exe: '/usr/bin/bash'\ncondition: selection", fork, Auditd));
        Assert.True(Matches("selection:\n    type: SYSCALL\n    SYSCALL: execve\ncondition: selection", Exec("/usr/bin/bash", ["bash"]), Auditd));
    }

    [Fact]
    public void EventsFromWindowsDevices_DoNotMatchLinuxRules()
    {
        var rule = Compile("selection:\n    Image|endswith: '/curl'\ncondition: selection");
        Assert.True(Matches(rule, Exec("/usr/bin/curl", ["curl"])));
        Assert.False(Matches(rule, Exec("/usr/bin/curl", ["curl"], os: OsFamily.Windows)));
        Assert.True(Matches(rule, Exec("/usr/bin/curl", ["curl"], os: OsFamily.Unspecified)));
    }

    [Fact]
    public void AuditdExecve_HasTheArgumentsByPosition()
    {
        var exec = Exec("/usr/bin/tar", ["tar", "-czf", "/tmp/out file.tgz", "/etc"]);
        Assert.True(Matches("selection:\n    type: EXECVE\n    argc: 4\n    a0: tar\n    a1|contains: '-c'\n    a2: '/tmp/out file.tgz'\n    a3: '/etc'\ncondition: selection", exec, Auditd));
        Assert.False(Matches("selection:\n    type: EXECVE\n    a4|exists: true\ncondition: selection", exec, Auditd));
        Assert.True(Matches("selection:\n    type: EXECVE\nkeywords:\n    - 'out file.tgz /etc'\ncondition: selection and keywords", exec, Auditd));
        Assert.False(Matches("selection:\n    type: EXECVE\n    a0: zip\ncondition: selection", exec, Auditd));
    }

    [Fact]
    public void AuditdComm_IsTheProgramAsInvoked_AtMost15Characters()
    {
        var insmod = Exec("/usr/bin/kmod", ["insmod", "/tmp/rootkit.ko"]);
        Assert.True(Matches("selection:\n    type: SYSCALL\n    comm: insmod\n    exe: /usr/bin/kmod\ncondition: selection", insmod, Auditd));
        var longName = Exec("/opt/x/averyveryverylongname", ["/opt/x/averyveryverylongname"]);
        Assert.True(Matches("selection:\n    comm: averyveryverylo\ncondition: selection", longName, Auditd));
        Assert.False(Matches("selection:\n    comm: kmod\ncondition: selection", insmod, Auditd));
    }

    [Fact]
    public void AuditdSyscall_HasTheCredentials()
    {
        var web = Exec("/usr/bin/sh", ["sh", "-c", "id"], user: "www-data", uid: "33");
        Assert.True(Matches("selection:\n    type: SYSCALL\n    euid: 33\n    uid: 33\n    auid: 33\n    ses: 7\n    tty: pts/0\n    success: yes\ncondition: selection", web, Auditd));
        Assert.False(Matches("selection:\n    type: SYSCALL\n    euid: 0\ncondition: selection", web, Auditd));
    }

    [Fact]
    public void AuditdPath_ComesFromExecutablesAndFileChanges()
    {
        const string Rule = "selection:\n    type: PATH\n    name: '/etc/ld.so.preload'\ncondition: selection";
        Assert.True(Matches(Rule, FileModify("/etc/ld.so.preload"), Auditd));
        Assert.True(Matches(Rule, FileCreate("/etc/ld.so.preload"), Auditd));
        Assert.True(Matches(Rule, FileDelete("/etc/ld.so.preload"), Auditd));
        Assert.True(Matches(Rule, FileRename("/etc/ld.so.preload", "/tmp/x"), Auditd));
        Assert.True(Matches(Rule, FileRename("/tmp/x", "/etc/ld.so.preload"), Auditd));
        Assert.False(Matches(Rule, FileModify("/etc/ld.so.conf"), Auditd));

        const string Created = "selection:\n    type: PATH\n    nametype: CREATE\n    name|startswith: '/etc/systemd/system/'\ncondition: selection";
        Assert.True(Matches(Created, FileCreate("/etc/systemd/system/evil.service"), Auditd));
        Assert.True(Matches(Created, FileRename("/tmp/evil.service", "/etc/systemd/system/evil.service"), Auditd));
        Assert.False(Matches(Created, FileModify("/etc/systemd/system/evil.service"), Auditd));
        Assert.False(Matches(Created, FileDelete("/etc/systemd/system/evil.service"), Auditd));

        Assert.True(Matches("selection:\n    type: PATH\n    name|contains: '/.'\ncondition: selection", Exec("/tmp/.hidden/x", ["x"]), Auditd));
    }

    [Fact]
    public void FileEvent_IsACreation_AContentWrite_OrARenameTarget()
    {
        var rule = Compile("selection:\n    TargetFilename|startswith: '/etc/cron.d/'\n    Image|endswith: '/cp'\ncondition: selection", FileEvent);
        Assert.True(Matches(rule, FileCreate("/etc/cron.d/job", "/usr/bin/cp")));
        Assert.True(Matches(rule, FileModify("/etc/cron.d/job", "/usr/bin/cp")));
        Assert.True(Matches(rule, FileRename("/tmp/job", "/etc/cron.d/job", "/usr/bin/cp")));
        Assert.False(Matches(rule, FileRename("/etc/cron.d/job", "/tmp/job", "/usr/bin/cp")));
        Assert.False(Matches(rule, FileModify("/etc/cron.d/job", "/usr/bin/cp", "mode")));
        Assert.False(Matches(rule, FileDelete("/etc/cron.d/job", "/usr/bin/cp")));
        Assert.False(Matches(rule, FileCreate("/etc/cron.d/job", "/usr/bin/touch")));
    }

    [Fact]
    public void FileDelete_And_FileRename_HaveTheirOwnCategories()
    {
        var delete = Compile("selection:\n    TargetFilename|endswith: '.bash_history'\ncondition: selection", "category: file_delete\n    product: linux");
        Assert.True(Matches(delete, FileDelete("/root/.bash_history")));
        Assert.False(Matches(delete, FileCreate("/root/.bash_history")));

        var rename = Compile("selection:\n    SourceFilename|startswith: '/tmp/'\n    TargetFilename|startswith: '/usr/bin/'\ncondition: selection", "category: file_rename\n    product: linux");
        Assert.True(Matches(rename, FileRename("/tmp/x", "/usr/bin/x")));
        Assert.False(Matches(rename, FileRename("/usr/bin/x", "/tmp/x")));
    }

    [Fact]
    public void NetworkConnection_NamesTheInitiatorSource()
    {
        const string Rule = "selection:\n    Initiated: 'true'\n    SourceIp: '10.0.0.5'\n    SourcePort: 50000\n    DestinationIp: '1.2.3.4'\n    DestinationPort: 443\n    DestinationIsIpv6: 'false'\n    Protocol: tcp\n    Image: '/usr/bin/curl'\n    User: www-data\ncondition: selection";
        Assert.True(Matches(Rule, Connection("/usr/bin/curl", "10.0.0.5", 50000, "1.2.3.4", 443), Network));
        Assert.False(Matches(Rule, Connection("/usr/bin/curl", "10.0.0.5", 50000, "1.2.3.4", 443, Direction.Inbound), Network));

        const string Inbound = "selection:\n    Initiated: 'false'\n    SourceIp: '1.2.3.4'\n    DestinationPort: 22\ncondition: selection";
        Assert.True(Matches(Inbound, Connection("/usr/sbin/sshd", "10.0.0.5", 22, "1.2.3.4", 50123, Direction.Inbound), Network));
        Assert.False(Matches(Inbound, Connection("/usr/sbin/sshd", "10.0.0.5", 50123, "1.2.3.4", 22), Network));
    }

    [Fact]
    public void DnsQuery_HasSysmonsFields()
    {
        var query = Dns("tunnel.eu.ngrok.com", "/usr/bin/ngrok", "NOERROR", "3.125.102.39", "2a05:d014::1");
        Assert.True(Matches("selection:\n    QueryName|endswith: '.ngrok.com'\n    QueryStatus: 0\n    QueryResults|contains: '::ffff:3.125.102.39;'\n    Image|endswith: '/ngrok'\ncondition: selection", query, Dns));
        Assert.True(Matches("selection:\n    QueryResults|endswith: '2a05:d014::1;'\ncondition: selection", query, Dns));
        Assert.True(Matches("selection:\n    QueryStatus: 9003\ncondition: selection", Dns("nope.example", "/usr/bin/curl", "NXDOMAIN"), Dns));
        Assert.False(Matches("selection:\n    QueryName|endswith: '.ngrok.com'\ncondition: selection", Dns("ngrok.com.example.org"), Dns));
    }

    [Theory]
    [InlineData("category: process_creation\n    product: linux", "OriginalFileName", "Windows executable property")]
    [InlineData("category: process_creation\n    product: linux", "NoSuchField", "Osprey has: Image, CommandLine")]
    [InlineData("product: linux\n    service: auditd", "key", "audit rule keys")]
    [InlineData("product: linux\n    service: auditd", "a256", "a0…a255")]
    public void FieldsOspreyDoesNotProduce_MakeTheRuleUnsupported_SayingWhy(string logSource, string field, string expected)
    {
        var result = CompileResult(Yaml($"selection:\n    {field}: 'x'\ncondition: selection", logSource));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains($"field '{field}' is not produced", result.Reason, StringComparison.Ordinal);
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("category: process_creation\n    product: windows", "product 'windows' is not mapped")]
    [InlineData("category: file_access\n    product: linux", "not reads")]
    [InlineData("category: file_change\n    product: linux", "creation time")]
    [InlineData("category: image_load\n    product: linux", "no Linux events for category 'image_load'")]
    [InlineData("product: linux\n    service: sshd", "raw sshd log lines")]
    [InlineData("product: linux", "neither category nor service")]
    public void LogSourcesOspreyDoesNotProduce_AreUnsupported_SayingWhy(string logSource, string expected)
    {
        var result = CompileResult(Yaml("selection:\n    Image: 'x'\ncondition: selection", logSource));
        Assert.Equal(SigmaCompileStatus.Unsupported, result.Status);
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
        Assert.NotNull(result.Rule);
    }

    [Fact]
    public void AuditdRecordTypesOspreyDoesNotDerive_AreUnsupported_ButPartlyCoveredRulesCompileWithAWarning()
    {
        var none = CompileResult(Yaml("selection:\n    type: SYSCALL\n    SYSCALL: ptrace\ncondition: selection", Auditd));
        Assert.Equal(SigmaCompileStatus.Unsupported, none.Status);
        Assert.Contains("auditd SYSCALL (process start): 'SYSCALL: ptrace' never holds: SYSCALL is one of execve", none.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("type is always", none.Reason, StringComparison.Ordinal);

        var otherRecords = CompileResult(Yaml("selection:\n    type: USER_LOGIN\ncondition: selection", Auditd));
        Assert.Equal(SigmaCompileStatus.Unsupported, otherRecords.Status);
        Assert.Contains("auditd PATH records: 'type: USER_LOGIN' never holds: type is always 'PATH'", otherRecords.Reason, StringComparison.Ordinal);
        Assert.Contains("auditd EXECVE (process start): 'type: USER_LOGIN' never holds: type is always 'EXECVE'", otherRecords.Reason, StringComparison.Ordinal);

        var partly = CompileResult(Yaml("sel_tty:\n    type: TTY\nsel_exec:\n    type: EXECVE\n    a0: xclip\ncondition: 1 of sel_*", Auditd));
        Assert.Equal(SigmaCompileStatus.Compiled, partly.Status);
        Assert.Contains(partly.Warnings, w => w.StartsWith("search 'sel_tty' can never match", StringComparison.Ordinal));
        Assert.Equal(["auditd EXECVE (process start)"], partly.Compiled!.RecordKinds);
        Assert.True(Matches(partly.Compiled, Exec("/usr/bin/xclip", ["xclip", "-o"])));
    }
}
