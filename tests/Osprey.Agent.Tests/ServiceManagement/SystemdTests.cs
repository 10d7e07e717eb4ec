using Osprey.Agent.ServiceManagement;

namespace Osprey.Agent.Tests.ServiceManagement;

public sealed class SystemdTests
{
    [Theory]
    [InlineData("nginx", "nginx.service")]
    [InlineData("nginx.service", "nginx.service")]
    [InlineData("getty@tty1.service", "getty@tty1.service")]
    [InlineData("logrotate.timer", "logrotate.timer")]
    [InlineData("dbus-org.freedesktop.resolve1.service", "dbus-org.freedesktop.resolve1.service")]
    [InlineData("-H host", null)]
    [InlineData("--now", null)]
    [InlineData("../../etc/passwd", null)]
    [InlineData("a b.service", null)]
    [InlineData("a;reboot", null)]
    [InlineData(".service", null)]
    [InlineData("multi-user.target", null)]
    [InlineData("home.mount", null)]
    [InlineData("", null)]
    public void UnitName_AcceptsServiceNames_AndRefusesOptionsPathsAndOtherUnitTypes(string name, string? expected) =>
        Assert.Equal(expected, Systemd.UnitName(name));

    [Fact]
    public void UnitName_RefusesOverlongNames() => Assert.Null(Systemd.UnitName(new string('a', 250)));

    [Theory]
    [InlineData("enabled", "automatic")]
    [InlineData("disabled", "manual")]
    [InlineData("static", "manual")]
    [InlineData("masked", "disabled")]
    [InlineData("masked-runtime", "disabled")]
    public void StartType_MapsTheUnitFileState(string unitFileState, string startType) =>
        Assert.Equal(startType, UnitState.Parse($"LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState={unitFileState}\n").StartType);

    [Fact]
    public void Parse_ReadsSystemctlShow_AndANotFoundUnitDoesNotExist()
    {
        var state = UnitState.Parse("ActiveState=inactive\nLoadState=not-found\nSubState=dead\nUnitFileState=\n");
        Assert.Equal(("not-found", "inactive", "dead"), (state.LoadState, state.ActiveState, state.SubState));
        Assert.False(state.Exists);
    }

    [Fact]
    public void WithoutSystemdsRuntimeDirectory_ThereIsNoServiceManager()
    {
        var error = Assert.Throws<ServiceManagerException>(() => new Systemd("/nonexistent/osprey/run/systemd/system").RequireSystemctl());
        Assert.Contains("no service manager on this host", error.Message, StringComparison.Ordinal);
        Assert.Equal(95, error.Code);
    }
}
