using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class ScheduledTaskSensorTests
{
    private sealed class Layout : IDisposable
    {
        private readonly TempDirectory _root = new("osprey-cron");

        public Layout()
        {
            foreach (var dir in new[] { CronD, Crontabs, Daily, Units })
            {
                Directory.CreateDirectory(dir);
            }
        }

        public string Root => _root.Path;
        public string Crontab => Path.Join(Root, "crontab");
        public string CronD => Path.Join(Root, "cron.d");
        public string Crontabs => Path.Join(Root, "crontabs");
        public string Daily => Path.Join(Root, "cron.daily");
        public string Units => Path.Join(Root, "system");

        public ScheduledTaskSensorOptions Options => new()
        {
            CrontabPath = Crontab,
            SystemCronDirectories = [CronD],
            UserCronDirectories = [Crontabs, Path.Join(Root, "missing-yet")],
            PeriodicDirectories = new Dictionary<string, string> { [Daily] = "@daily" },
            TimerDirectories = [Units],
            EnablementDirectories = [Units],
        };

        public void Dispose() => _root.Dispose();
    }

    private static Func<Event, bool> Change(ChangeOperation operation, string source, string? name = null) =>
        e => e.ScheduledTaskChange is { } c && c.Operation == operation && c.Job.SourceFile == source && (name is null || c.Job.Name == name);

    [Fact]
    public async Task CronFileCreatedModifiedAndDeleted_GivesThreeEventsWithTheJob()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();
        var file = Path.Join(layout.CronD, "osprey-job");

        await File.WriteAllTextAsync(file, "SHELL=/bin/sh\n# every five minutes\n*/5 * * * * root /usr/bin/true --flag\n", TestContext.Current.CancellationToken);
        var created = (await h.WaitForAsync(Change(ChangeOperation.Created, file), what: "created job")).ScheduledTaskChange;
        Assert.Equal("osprey-job:3", created.Job.Name);
        Assert.Equal("/usr/bin/true --flag", created.Job.Command);
        Assert.Equal("*/5 * * * *", created.Job.Schedule);
        Assert.Equal(("root", "0"), (created.Job.RunAs.Name, created.Job.RunAs.Id));
        Assert.Equal("cron", created.Job.Scheduler);
        Assert.True(created.Job.Enabled);
        Assert.Null(created.Previous);

        await File.WriteAllTextAsync(file, "SHELL=/bin/sh\n# every ten minutes\n*/10 * * * * root /usr/bin/true --flag\n", TestContext.Current.CancellationToken);
        var modified = (await h.WaitForAsync(Change(ChangeOperation.Modified, file), what: "modified job")).ScheduledTaskChange;
        Assert.Equal("*/10 * * * *", modified.Job.Schedule);
        Assert.Equal("*/5 * * * *", modified.Previous.Schedule);
        Assert.Equal("/usr/bin/true --flag", modified.Previous.Command);

        File.Delete(file);
        var deleted = (await h.WaitForAsync(Change(ChangeOperation.Deleted, file), what: "deleted job")).ScheduledTaskChange;
        Assert.Equal("*/10 * * * *", deleted.Job.Schedule);
        Assert.Equal("/usr/bin/true --flag", deleted.Job.Command);
        Assert.Equal(3, h.Events.Count);
        Assert.All(h.Events, e => Assert.Equal(EventType.ScheduledTaskChange, e.Type));
    }

    [Fact]
    public async Task CronFileWithThreeJobs_GivesThreeEvents_AndEditingOneLineOnlyThatOne()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();
        var file = Path.Join(layout.CronD, "multi.disabled");

        await File.WriteAllTextAsync(file, "0 1 * * * root /bin/a\n@reboot nobody /bin/b\n15 3 * * 1 root /bin/c\n", TestContext.Current.CancellationToken);
        for (var i = 1; i <= 3; i++)
        {
            await h.WaitForAsync(Change(ChangeOperation.Created, file, $"multi.disabled:{i}"), what: $"job {i}");
        }
        var reboot = h.Events.Single(Change(ChangeOperation.Created, file, "multi.disabled:2")).ScheduledTaskChange.Job;
        Assert.Equal("@reboot", reboot.Schedule);
        Assert.Equal(("nobody", "65534"), (reboot.RunAs.Name, reboot.RunAs.Id));
        // cron ignores cron.d files with a dot in their name.
        Assert.All(h.Events, e => Assert.False(e.ScheduledTaskChange.Job.Enabled));

        await File.WriteAllTextAsync(file, "# a comment shifts every line\n0 1 * * * root /bin/a\n@reboot nobody /bin/b2\n15 3 * * 1 root /bin/c\n", TestContext.Current.CancellationToken);
        var edited = (await h.WaitForAsync(Change(ChangeOperation.Modified, file), what: "edited line")).ScheduledTaskChange;
        Assert.Equal("/bin/b2", edited.Job.Command);
        Assert.Equal("/bin/b", edited.Previous.Command);
        Assert.Equal("multi.disabled:3", edited.Job.Name);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(4, h.Events.Count);
    }

    [Fact]
    public async Task ExistingJobsAtStart_AreSilent_AndTheSystemCrontabAndUserCrontabsAreRead()
    {
        using var layout = new Layout();
        await File.WriteAllTextAsync(layout.Crontab, "17 * * * * root cd / && run-parts /etc/cron.hourly\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Join(layout.CronD, "existing"), "1 1 * * * root /bin/old\n", TestContext.Current.CancellationToken);
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();

        await File.AppendAllTextAsync(layout.Crontab, "@hourly nobody /usr/local/bin/poll\n", TestContext.Current.CancellationToken);
        var system = (await h.WaitForAsync(Change(ChangeOperation.Created, layout.Crontab), what: "system crontab job")).ScheduledTaskChange.Job;
        Assert.Equal("crontab:2", system.Name);
        Assert.Equal("/usr/local/bin/poll", system.Command);
        Assert.Equal("nobody", system.RunAs.Name);

        var user = Path.Join(layout.Crontabs, "nobody");
        // crontab(1) writes a temporary file and renames it into place.
        var temporary = Path.Join(layout.Crontabs, "tmp.12345");
        await File.WriteAllTextAsync(temporary, "# edit\n*/2 * * * * /home/nobody/sync\n", TestContext.Current.CancellationToken);
        File.Move(temporary, user);
        var userJob = (await h.WaitForAsync(Change(ChangeOperation.Created, user), what: "user crontab job")).ScheduledTaskChange.Job;
        Assert.Equal(("nobody", "65534"), (userJob.RunAs.Name, userJob.RunAs.Id));
        Assert.Equal("/home/nobody/sync", userJob.Command);
        Assert.Equal("*/2 * * * *", userJob.Schedule);
        Assert.DoesNotContain(h.Events, e => e.ScheduledTaskChange.Job.SourceFile.Contains("existing", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Events, e => e.ScheduledTaskChange.Job.SourceFile == temporary);
        Assert.Equal(2, h.Events.Count);
    }

    [Fact]
    public async Task DirectoryCreatedAfterStart_IsWatchedAndItsFilesReported()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();
        var late = Path.Join(layout.Root, "missing-yet");
        Directory.CreateDirectory(late);
        await File.WriteAllTextAsync(Path.Join(late, "nobody"), "5 5 * * * /bin/late\n", TestContext.Current.CancellationToken);
        var job = (await h.WaitForAsync(Change(ChangeOperation.Created, Path.Join(late, "nobody")), TimeSpan.FromSeconds(15), "job in a late directory")).ScheduledTaskChange.Job;
        Assert.Equal("/bin/late", job.Command);
    }

    [Fact]
    public async Task PeriodicScript_IsAJobEnabledWhileExecutable()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();
        var script = Path.Join(layout.Daily, "osprey-backup");

        await File.WriteAllTextAsync(script, "#!/bin/sh\nexit 0\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var created = (await h.WaitForAsync(Change(ChangeOperation.Created, script), what: "daily script")).ScheduledTaskChange.Job;
        Assert.Equal("@daily", created.Schedule);
        Assert.Equal(script, created.Command);
        Assert.Equal("osprey-backup", created.Name);
        var enabled = await h.WaitForAsync(e => e.ScheduledTaskChange is { } c && c.Job.SourceFile == script && c.Job.Enabled, what: "enabled once executable");

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var disabled = (await h.WaitForAsync(e => e.ScheduledTaskChange is { Operation: ChangeOperation.Modified } c && c.Job.SourceFile == script && !c.Job.Enabled, what: "disabled by chmod -x")).ScheduledTaskChange;
        Assert.True(disabled.Previous.Enabled);
    }

    [Fact]
    public async Task SystemdTimer_CarriesItsServicesCommandAndAccount_AndFollowsEnablementAndServiceEdits()
    {
        using var layout = new Layout();
        await using var h = new SensorHarness(new ScheduledTaskSensor(layout.Options));
        await h.StartAsync();
        var service = Path.Join(layout.Units, "osprey-t.service");
        var timer = Path.Join(layout.Units, "osprey-t.timer");
        await File.WriteAllTextAsync(service, "[Unit]\nDescription=t\n[Service]\nType=oneshot\nExecStart=-/usr/bin/backup --all\nUser=nobody\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(timer, "[Unit]\nDescription=t\n[Timer]\nOnCalendar=daily\nOnBootSec=15min\nRandomizedDelaySec=1h\n[Install]\nWantedBy=timers.target\n", TestContext.Current.CancellationToken);

        var created = (await h.WaitForAsync(Change(ChangeOperation.Created, timer), what: "timer created")).ScheduledTaskChange.Job;
        Assert.Equal("osprey-t.timer", created.Name);
        Assert.Equal("/usr/bin/backup --all", created.Command);
        Assert.Equal("OnCalendar=daily; OnBootSec=15min", created.Schedule);
        Assert.Equal(("nobody", "65534"), (created.RunAs.Name, created.RunAs.Id));
        Assert.Equal("systemd-timer", created.Scheduler);
        Assert.False(created.Enabled);

        var wants = Path.Join(layout.Units, "timers.target.wants");
        Directory.CreateDirectory(wants);
        File.CreateSymbolicLink(Path.Join(wants, "osprey-t.timer"), timer);
        var enabled = (await h.WaitForAsync(e => e.ScheduledTaskChange is { Operation: ChangeOperation.Modified } c && c.Job.SourceFile == timer && c.Job.Enabled, what: "timer enabled")).ScheduledTaskChange;
        Assert.False(enabled.Previous.Enabled);

        await File.WriteAllTextAsync(service, "[Service]\nExecStart=/usr/bin/backup --none\nUser=root\n", TestContext.Current.CancellationToken);
        var edited = (await h.WaitForAsync(e => e.ScheduledTaskChange is { Operation: ChangeOperation.Modified } c && c.Job.Command == "/usr/bin/backup --none", what: "service edit seen on the timer")).ScheduledTaskChange;
        Assert.Equal("/usr/bin/backup --all", edited.Previous.Command);
        Assert.Equal("root", edited.Job.RunAs.Name);

        File.Delete(Path.Join(wants, "osprey-t.timer"));
        await h.WaitForAsync(e => e.ScheduledTaskChange is { Operation: ChangeOperation.Modified } c && c.Job.SourceFile == timer && !c.Job.Enabled && c.Previous.Enabled, what: "timer disabled");
    }

    [Fact]
    public async Task InotifyQueueOverflow_IsCountedAndEveryDirectoryComparedAgain()
    {
        using var layout = new Layout();
        var sensor = new ScheduledTaskSensor(layout.Options);
        using var sink = new BlockingSink();
        var context = BlockingSink.ContextFor(sensor, sink);
        long lost = 0;
        context.Health.LossReported += (_, count, _) => Interlocked.Add(ref lost, count);
        using var stop = new CancellationTokenSource();
        var run = sensor.RunAsync(context, stop.Token);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (context.Health.State == SensorState.Starting && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
            Assert.Equal(SensorState.Running, context.Health.State);
            // The first event blocks the sensor's thread in Emit; inotify keeps queueing behind it.
            await File.WriteAllTextAsync(Path.Join(layout.CronD, "first"), "1 1 * * * root /bin/first\n", TestContext.Current.CancellationToken);
            Assert.True(sink.WaitUntilBlocked(TimeSpan.FromSeconds(10)), "the sensor never emitted the first job");
            var limit = int.Parse(await File.ReadAllTextAsync("/proc/sys/fs/inotify/max_queued_events", TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            // Each new file queues at least IN_CREATE and IN_CLOSE_WRITE.
            var files = limit / 2 + 64;
            for (var i = 0; i < files; i++)
            {
                await File.WriteAllBytesAsync(Path.Join(layout.Daily, $"f{i}"), [], TestContext.Current.CancellationToken);
            }
            await File.WriteAllTextAsync(Path.Join(layout.CronD, "last"), "2 2 * * * root /bin/last\n", TestContext.Current.CancellationToken);
            sink.Release();

            deadline = DateTime.UtcNow.AddSeconds(60);
            while (sink.Events.Count(e => e.ScheduledTaskChange?.Job.Schedule == "@daily") < files && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
            Assert.Contains(sink.Events, e => e.ScheduledTaskChange?.Job.Command == "/bin/last");
            Assert.True(Interlocked.Read(ref lost) >= 1, "the overflow was not reported as a loss");
            Assert.Equal(files, sink.Events.Count(e => e.ScheduledTaskChange?.Job.Schedule == "@daily"));
        }
        finally
        {
            sink.Release();
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task RealDefaultPaths_StartWithoutReportingWhatIsAlreadyThere()
    {
        await using var h = new SensorHarness(new ScheduledTaskSensor());
        await h.StartAsync();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(h.Events, e => e.ScheduledTaskChange?.Job.SourceFile == "/etc/cron.d/e2scrub_all");
    }
}
