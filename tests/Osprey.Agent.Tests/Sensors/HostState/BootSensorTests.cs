using System.Globalization;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class BootSensorTests
{
    private static long BtimeUs() =>
        long.Parse(File.ReadLines("/proc/stat").First(l => l.StartsWith("btime ", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture) * 1_000_000;

    private static string BootId() => File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    [Fact]
    public async Task FirstStart_ReportsThisBootOnce_AndASecondStartReportsNothing()
    {
        using var state = new TempDirectory("osprey-boot");
        var options = new BootSensorOptions { WtmpPath = Path.Join(state.Path, "no-wtmp") };
        await using (var h = new SensorHarness(new BootSensor(state.Path, options)))
        {
            await h.StartAsync();
            var startup = Assert.Single(h.Events);
            Assert.Equal(EventType.OsStartup, startup.Type);
            Assert.Equal(BootId(), startup.OsStartup.BootId);
            Assert.Equal(BtimeUs(), startup.OsStartup.BootTimeUs);
            Assert.Equal(BtimeUs(), startup.TimeUs);
            Assert.Equal(await HostCommands.RunAsync("uname", "-r"), startup.OsStartup.KernelVersion);
        }
        var saved = BootState.Read(state.Path);
        Assert.NotNull(saved);
        Assert.Equal(BootId(), saved.BootId);

        await using (var again = new SensorHarness(new BootSensor(state.Path, options)))
        {
            await again.StartAsync();
            await Task.Delay(200, TestContext.Current.CancellationToken);
            Assert.Empty(again.Events);
        }
    }

    [Fact]
    public async Task NewBoot_ReportsThePreviousBootsShutdownFromWtmp()
    {
        using var state = new TempDirectory("osprey-boot");
        var wtmp = Path.Join(state.Path, "wtmp");
        var previousBoot = BtimeUs() - 86_400_000_000;
        var shutdownAt = previousBoot + 3_600_000_000 + 500_000;
        new BootState("previous-boot-id", previousBoot, previousBoot + 60_000_000).Write(state.Path);
        File.WriteAllBytes(wtmp,
        [
            .. new UtmpRecord { Type = UtmpType.BootTime, Line = "~", User = "reboot", TimeUs = previousBoot + 2_000_000 }.ToBytes(),
            .. new UtmpRecord { Type = UtmpType.RunLevel, Pid = '6' + ('5' << 8), Line = "~", User = "runlevel", TimeUs = shutdownAt - 1_000_000 }.ToBytes(),
            .. new UtmpRecord { Type = UtmpType.RunLevel, Line = "~~", User = "shutdown", TimeUs = shutdownAt }.ToBytes(),
            .. new UtmpRecord { Type = UtmpType.BootTime, Line = "~", User = "reboot", TimeUs = BtimeUs() + 1_000_000 }.ToBytes(),
        ]);
        await using var h = new SensorHarness(new BootSensor(state.Path, new BootSensorOptions { WtmpPath = wtmp }));
        await h.StartAsync();

        Assert.Equal([EventType.OsShutdown, EventType.OsStartup], h.Events.Select(e => e.Type));
        var shutdown = h.Events.First().OsShutdown;
        Assert.Equal("previous-boot-id", shutdown.BootId);
        Assert.Equal(shutdownAt, shutdown.ShutdownTimeUs);
        Assert.Equal(shutdownAt, h.Events.First().TimeUs);
        Assert.Equal("reboot", shutdown.Kind);
        Assert.Equal(3600, shutdown.UptimeSeconds);
        Assert.Equal(BootId(), h.Events.Last().OsStartup.BootId);
    }

    [Fact]
    public async Task NewBootWithoutAShutdownRecord_IsACrashEndingAtTheLastHeartbeat()
    {
        using var state = new TempDirectory("osprey-boot");
        var wtmp = Path.Join(state.Path, "wtmp");
        var previousBoot = BtimeUs() - 7_200_000_000;
        var lastSeen = previousBoot + 1_800_000_000;
        new BootState("crashed-boot-id", previousBoot, lastSeen).Write(state.Path);
        File.WriteAllBytes(wtmp, new UtmpRecord { Type = UtmpType.BootTime, Line = "~", User = "reboot", TimeUs = previousBoot }.ToBytes());
        await using var h = new SensorHarness(new BootSensor(state.Path, new BootSensorOptions { WtmpPath = wtmp }));
        await h.StartAsync();

        var shutdown = h.Events.First().OsShutdown;
        Assert.Equal("crash", shutdown.Kind);
        Assert.Equal(lastSeen, shutdown.ShutdownTimeUs);
        Assert.Equal(1800, shutdown.UptimeSeconds);
    }

    [Fact]
    public async Task NewBootWithoutWtmp_HasAnUnknownEndKind()
    {
        using var state = new TempDirectory("osprey-boot");
        var previousBoot = BtimeUs() - 7_200_000_000;
        new BootState("old-boot-id", previousBoot, previousBoot + 10_000_000).Write(state.Path);
        await using var h = new SensorHarness(new BootSensor(state.Path, new BootSensorOptions { WtmpPath = Path.Join(state.Path, "absent") }));
        await h.StartAsync();

        var shutdown = h.Events.First().OsShutdown;
        Assert.Equal("unknown", shutdown.Kind);
        Assert.Equal(10, shutdown.UptimeSeconds);
        Assert.Equal(EventType.OsStartup, h.Events.Last().Type);
    }

    [Fact]
    public async Task Heartbeat_RecordsThatThisBootIsStillAlive()
    {
        using var state = new TempDirectory("osprey-boot");
        await using var h = new SensorHarness(new BootSensor(state.Path, new BootSensorOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50) }));
        await h.StartAsync();
        var first = BootState.Read(state.Path)!.LastSeenUs;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (BootState.Read(state.Path)?.LastSeenUs is not { } seen || seen == first)
        {
            Assert.True(DateTime.UtcNow < deadline, "the heartbeat never moved");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("osprey-boot-state 2\nboot_id=x\nboot_time_us=1\nlast_seen_us=2\n")]
    [InlineData("osprey-boot-state 1\nboot_id=\nboot_time_us=1\nlast_seen_us=2\n")]
    [InlineData("osprey-boot-state 1\nboot_id=x\nboot_time_us=-1\nlast_seen_us=2\n")]
    [InlineData("osprey-boot-state 1\nboot_id=x\n")]
    public void DamagedStateFile_ReadsAsNoState(string content)
    {
        using var state = new TempDirectory("osprey-boot");
        File.WriteAllText(Path.Join(state.Path, BootState.FileName), content);
        Assert.Null(BootState.Read(state.Path));
    }
}
