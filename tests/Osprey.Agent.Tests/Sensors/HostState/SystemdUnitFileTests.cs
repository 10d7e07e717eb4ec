using Osprey.Agent.Sensors.HostState;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class SystemdUnitFileTests
{
    [Fact]
    public void UnitFile_WithContinuationsCommentsAndResets_IsRead()
    {
        var unit = SystemdUnitFile.Parse(
            "# comment\n[Unit]\nDescription=Osprey \\\n  test unit\nAfter=a.target b.service\nAfter=a.target c.service\n; other comment\n"
            + "[Service]\nExecStart=/bin/first\nExecStart=\nExecStart=-/usr/bin/real --flag \\\n# inside\n  --more\nUser=nobody\r\n"
            + "broken line without equals\n=novalue\n");
        Assert.Equal("Osprey  test unit", unit.Last("Unit", "Description"));
        Assert.Equal(["a.target", "b.service", "c.service"], unit.Words("Unit", "After"));
        Assert.Equal(["-/usr/bin/real --flag  --more"], unit.Values("Service", "ExecStart"));
        Assert.Equal("nobody", unit.Last("Service", "User"));
        Assert.Equal("", unit.Last("Service", "Type"));
        Assert.False(unit.HasSection("Install"));
    }

    [Theory]
    [InlineData("/usr/bin/foo --bar", "/usr/bin/foo --bar")]
    [InlineData("-/usr/bin/foo", "/usr/bin/foo")]
    [InlineData("+!-/usr/bin/foo x", "/usr/bin/foo x")]
    [InlineData("@/usr/bin/foo foo-daemon --x --y", "/usr/bin/foo --x --y")]
    [InlineData("@/usr/bin/foo argv0", "/usr/bin/foo")]
    [InlineData("-", "")]
    [InlineData("/bin/sh  -c  \"a   b\"", "/bin/sh -c \"a   b\"")]
    public void ExecValue_BecomesTheCommandItRuns(string value, string expected) => Assert.Equal(expected, SystemdUnitFile.Command(value));
}
