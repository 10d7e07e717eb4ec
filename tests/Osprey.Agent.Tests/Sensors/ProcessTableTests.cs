using System.Diagnostics;
using System.Security.Cryptography;
using Osprey.Agent.Sensors.Hashing;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.Processes;

namespace Osprey.Agent.Tests.Sensors;

public sealed class ProcessTableTests
{
    private static ProcessTable NewTable(params string[] redaction) =>
        new(ProcessIdentity.ForThisBoot("agent-under-test"), new FileHasher(256L << 20), new UserDirectory(), redaction);

    [Fact]
    public void ReadsARunningProcessFromProc()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("/bin/sleep", ["30", "0.5"]) { Environment = { ["OSPREY_TEST_SECRET"] = "hunter2", ["OSPREY_PLAIN"] = "visible" } })!;
        try
        {
            var table = NewTable("*SECRET*");
            var info = table.Get(sleeper.Id);

            Assert.NotNull(info);
            Assert.Equal("/usr/bin/sleep", info.ExePath);
            Assert.Equal("/bin/sleep 30 0.5", info.CommandLine);
            Assert.Equal(Environment.ProcessId, info.ParentPid);
            Assert.Equal(table.Get(Environment.ProcessId)!.UniquePid, info.ParentUniquePid);
            Assert.Contains("OSPREY_TEST_SECRET=[redacted]", info.Environment);
            Assert.Contains("OSPREY_PLAIN=visible", info.Environment);
            using var file = File.OpenRead("/usr/bin/sleep");
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), info.Executable!.Sha256);
            Assert.Matches("^[0-9a-f]{32}$", info.UniquePid);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void Read_WithAFirstLook_TakesItsPartsAndReadsTheRestFromProc()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("/bin/sleep", ["30", "0.6"]) { Environment = { ["OSPREY_TEST_SECRET"] = "hunter2" } })!;
        try
        {
            var table = NewTable("*SECRET*");
            // What the reader saw at the exec differs from /proc here, so the test can tell which one was used.
            var look = new ExecFirstLook
            {
                Arguments = "/bin/sleep\0seen-at-exec\0"u8,
                HasArguments = true,
                Cwd = "/seen-at-exec"u8,
                HasCwd = true,
                Environment = "A=1\0MY_SECRET=x\0"u8,
                HasEnvironment = true,
            };
            var info = table.Read(sleeper.Id, look);

            Assert.NotNull(info);
            Assert.Equal(new[] { "/bin/sleep", "seen-at-exec" }, info.Arguments);
            Assert.Equal("/seen-at-exec", info.Cwd);
            Assert.Equal(new[] { "A=1", "MY_SECRET=[redacted]" }, info.Environment);
            // The rest is the process's own, through its /proc directory.
            Assert.Equal("/usr/bin/sleep", info.ExePath);
            Assert.Equal(Environment.ProcessId, info.ParentPid);
            Assert.Equal(Environment.CurrentDirectory, table.Read(sleeper.Id)!.Cwd);
            Assert.Contains("OSPREY_TEST_SECRET=[redacted]", table.Read(sleeper.Id)!.Environment);
            Assert.Equal("/bin/sleep 30 0.6", table.Read(sleeper.Id, new ExecFirstLook { Cwd = "/ignored"u8 })!.CommandLine);
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void Read_WithTheSameEnvironmentAgain_ReusesItsStringsAndRedactsANewOne()
    {
        var table = NewTable("*SECRET*");
        ExecFirstLook Look(ReadOnlySpan<byte> environment) => new() { Environment = environment, HasEnvironment = true };

        var first = table.Read(Environment.ProcessId, Look("A=1\0MY_SECRET=x\0"u8))!.Environment;
        var again = table.Read(Environment.ProcessId, Look("A=1\0MY_SECRET=x\0"u8))!.Environment;
        var other = table.Read(Environment.ProcessId, Look("A=2\0MY_SECRET=y\0"u8))!.Environment;

        Assert.Equal(new[] { "A=1", "MY_SECRET=[redacted]" }, first);
        Assert.Same(first, again);
        Assert.Equal(new[] { "A=2", "MY_SECRET=[redacted]" }, other);
    }

    [Fact]
    public void Read_GivesTheIdsAndAuditIdsProcShows()
    {
        var self = NewTable().Read(Environment.ProcessId);

        Assert.NotNull(self);
        var status = File.ReadAllLines($"/proc/{Environment.ProcessId}/status");
        var uids = status.Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries);
        var gids = status.Single(l => l.StartsWith("Gid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((uint.Parse(uids[1]), uint.Parse(uids[2]), uint.Parse(gids[1]), uint.Parse(gids[2])), (self.Uid, self.Euid, self.Gid, self.Egid));
        var loginUid = uint.Parse(File.ReadAllText($"/proc/{Environment.ProcessId}/loginuid").Trim());
        Assert.Equal(loginUid == uint.MaxValue ? null : loginUid, self.LoginUid);
        var session = uint.Parse(File.ReadAllText($"/proc/{Environment.ProcessId}/sessionid").Trim());
        Assert.Equal(session == uint.MaxValue ? null : session, self.AuditSession);
        Assert.Null(NewTable().Read(int.MaxValue));
    }

    [Fact]
    public void UniquePidIsStableForTheSameProcessAndAgent()
    {
        var first = NewTable().Get(Environment.ProcessId)!;
        var second = NewTable().Get(Environment.ProcessId)!;
        Assert.Equal(first.UniquePid, second.UniquePid);
        var otherAgent = new ProcessTable(ProcessIdentity.ForThisBoot("another-agent"), new FileHasher(1 << 20), new UserDirectory(), []);
        Assert.NotEqual(first.UniquePid, otherAgent.Get(Environment.ProcessId)!.UniquePid);
    }

    [Theory]
    [InlineData(new[] { "a", "b" }, "a b")]
    [InlineData(new[] { "echo", "two words", "" }, "echo \"two words\" \"\"")]
    [InlineData(new[] { "sh", "-c", "echo \"x\\y\"" }, "sh -c \"echo \\\"x\\\\y\\\"\"")]
    public void JoinsArgumentsUnambiguously(string[] arguments, string expected) =>
        Assert.Equal(expected, CommandLines.Join(arguments));

    [Fact]
    public void ParsesStatWithParenthesesInTheName()
    {
        var stat = ProcFs.ParseStat("42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100 18446744073709551615");
        Assert.NotNull(stat);
        Assert.Equal("a) b (c)", stat.Comm);
        Assert.Equal(1, stat.ParentPid);
        Assert.Equal(12345, stat.StartTicks);
    }
}
