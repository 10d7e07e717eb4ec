using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class ServiceSensorTests
{
    private const string Unit = """
        [Unit]
        Description=Osprey test daemon
        Requires=network-online.target
        Wants=a.service b.service
        After=network-online.target a.service

        [Service]
        Type=notify
        ExecStart=-/usr/bin/osprey-daemon --serve \
            --port 8080
        ExecStart=/usr/bin/second
        User=nobody

        [Install]
        WantedBy=multi-user.target
        """;

    private sealed class Layout : IDisposable
    {
        private readonly TempDirectory _root = new("osprey-units");

        public Layout()
        {
            Directory.CreateDirectory(Etc);
            Directory.CreateDirectory(Lib);
        }

        /// <summary>Plays /etc/systemd/system: highest priority, where links go.</summary>
        public string Etc => Path.Join(_root.Path, "etc");

        /// <summary>Plays /usr/lib/systemd/system.</summary>
        public string Lib => Path.Join(_root.Path, "lib");

        public ServiceSensorOptions Options => new() { UnitDirectories = [Etc, Lib], EnablementDirectories = [Etc] };

        public void Dispose() => _root.Dispose();
    }

    private static Func<Event, bool> Change(ChangeOperation operation, string source) =>
        e => e.ServiceChange is { } c && c.Operation == operation && c.Service.SourceFile == source;

    [Fact]
    public async Task NewUnitFile_IsACreatedServiceWithEveryField()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ServiceSensor(layout.Options));
        await h.StartAsync();
        var path = Path.Join(layout.Lib, "osprey-test.service");

        await File.WriteAllTextAsync(path, Unit, TestContext.Current.CancellationToken);

        var created = await h.WaitForAsync(Change(ChangeOperation.Created, path), what: "created service");
        Assert.Equal(EventType.ServiceChange, created.Type);
        var service = created.ServiceChange.Service;
        Assert.Equal("osprey-test.service", service.Name);
        Assert.Equal("notify", service.ServiceType);
        Assert.Equal("/usr/bin/osprey-daemon --serve --port 8080", service.ExecPath);
        Assert.Equal(["network-online.target", "a.service", "b.service"], service.Dependencies);
        Assert.Equal(("nobody", "65534"), (service.User.Name, service.User.Id));
        Assert.Equal("Osprey test daemon", service.DisplayName);
        Assert.Equal("disabled", service.StartType);
        Assert.Null(created.ServiceChange.Previous);
    }

    [Fact]
    public async Task EditedUnit_IsModifiedWithThePreviousValues_AndDeletionCarriesTheLastOnes()
    {
        using var layout = new Layout();
        var path = Path.Join(layout.Lib, "osprey-edit.service");
        await File.WriteAllTextAsync(path, Unit, TestContext.Current.CancellationToken);
        await using var h = new SensorHarness(new ServiceSensor(layout.Options));
        await h.StartAsync();

        await File.WriteAllTextAsync(path, "[Unit]\nDescription=Renamed\n[Service]\nExecStart=/tmp/evil.sh\nUser=0\n", TestContext.Current.CancellationToken);
        var modified = (await h.WaitForAsync(Change(ChangeOperation.Modified, path), what: "modified service")).ServiceChange;
        Assert.Equal("/tmp/evil.sh", modified.Service.ExecPath);
        Assert.Equal(("root", "0"), (modified.Service.User.Name, modified.Service.User.Id));
        Assert.Equal("simple", modified.Service.ServiceType);
        Assert.Equal("static", modified.Service.StartType);
        Assert.Empty(modified.Service.Dependencies);
        Assert.Equal("Renamed", modified.Service.DisplayName);
        Assert.Equal("/usr/bin/osprey-daemon --serve --port 8080", modified.Previous.ExecPath);
        Assert.Equal("nobody", modified.Previous.User.Name);
        Assert.Equal("notify", modified.Previous.ServiceType);
        Assert.Equal("disabled", modified.Previous.StartType);
        Assert.Equal("Osprey test daemon", modified.Previous.DisplayName);
        Assert.Equal(3, modified.Previous.Dependencies.Count);

        File.Delete(path);
        var deleted = (await h.WaitForAsync(Change(ChangeOperation.Deleted, path), what: "deleted service")).ServiceChange;
        Assert.Equal("/tmp/evil.sh", deleted.Service.ExecPath);
        Assert.Equal(2, h.Events.Count);
    }

    [Fact]
    public async Task EnablingMaskingAndUnmasking_ChangeTheStartType()
    {
        using var layout = new Layout();
        var vendor = Path.Join(layout.Lib, "osprey-en.service");
        await File.WriteAllTextAsync(vendor, Unit, TestContext.Current.CancellationToken);
        await using var h = new SensorHarness(new ServiceSensor(layout.Options));
        await h.StartAsync();

        // systemctl enable: a link in a .wants directory that does not exist yet.
        var wants = Path.Join(layout.Etc, "multi-user.target.wants");
        Directory.CreateDirectory(wants);
        File.CreateSymbolicLink(Path.Join(wants, "osprey-en.service"), vendor);
        var enabled = (await h.WaitForAsync(e => e.ServiceChange is { Operation: ChangeOperation.Modified } c && c.Service.StartType == "enabled", what: "enabled")).ServiceChange;
        Assert.Equal("disabled", enabled.Previous.StartType);
        Assert.Equal(vendor, enabled.Service.SourceFile);

        // systemctl mask: a link to /dev/null in the highest-priority directory.
        var mask = Path.Join(layout.Etc, "osprey-en.service");
        File.CreateSymbolicLink(mask, "/dev/null");
        var masked = (await h.WaitForAsync(Change(ChangeOperation.Created, mask), what: "mask")).ServiceChange.Service;
        Assert.Equal("masked", masked.StartType);
        await h.WaitForAsync(e => e.ServiceChange is { Operation: ChangeOperation.Modified } c && c.Service.SourceFile == vendor && c.Service.StartType == "masked", what: "vendor unit masked");

        File.Delete(mask);
        await h.WaitForAsync(Change(ChangeOperation.Deleted, mask), what: "mask removed");
        await h.WaitForAsync(e => e.ServiceChange is { Operation: ChangeOperation.Modified } c && c.Service.SourceFile == vendor && c.Service.StartType == "enabled" && c.Previous.StartType == "masked", what: "vendor unit unmasked");
    }

    [Fact]
    public async Task TemplateUnit_IsEnabledThroughAnInstance_AndAnAliasLinkIsReportedAsSuch()
    {
        using var layout = new Layout();
        var template = Path.Join(layout.Lib, "osprey-getty@.service");
        await File.WriteAllTextAsync(template, "[Service]\nExecStart=@/sbin/agetty agetty -o x %I\n[Install]\nWantedBy=getty.target\n", TestContext.Current.CancellationToken);
        var wants = Path.Join(layout.Etc, "getty.target.wants");
        Directory.CreateDirectory(wants);
        await using var h = new SensorHarness(new ServiceSensor(layout.Options));
        await h.StartAsync();

        File.CreateSymbolicLink(Path.Join(wants, "osprey-getty@tty1.service"), template);
        var enabled = (await h.WaitForAsync(Change(ChangeOperation.Modified, template), what: "template enabled")).ServiceChange.Service;
        Assert.Equal("enabled", enabled.StartType);
        Assert.Equal("/sbin/agetty -o x %I", enabled.ExecPath);

        var alias = Path.Join(layout.Etc, "osprey-alias.service");
        File.CreateSymbolicLink(alias, template);
        var aliased = (await h.WaitForAsync(Change(ChangeOperation.Created, alias), what: "alias")).ServiceChange.Service;
        Assert.Equal("alias", aliased.StartType);
        Assert.Equal("/sbin/agetty -o x %I", aliased.ExecPath);
    }

    [Fact]
    public async Task RealDefaultPaths_StartWithoutReportingWhatIsAlreadyThere()
    {
        await using var h = new SensorHarness(new ServiceSensor());
        await h.StartAsync();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(h.Events);
    }
}
