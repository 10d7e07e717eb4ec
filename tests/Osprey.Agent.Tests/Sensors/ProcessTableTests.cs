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
