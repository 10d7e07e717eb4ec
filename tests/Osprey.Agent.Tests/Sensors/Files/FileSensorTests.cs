using Osprey.Agent.Configuration;
using Osprey.Agent.Sensors.Files;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>The file sensor on the real kernel: fanotify marks on a tmpfs (or the root filesystem) the test owns.</summary>
public sealed class FileSensorTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2.5);

    private static AgentOptions Watch(string path, params string[] excluded) => new()
    {
        Files = new FileSensorSettings { Paths = [path], ExcludedPaths = [.. new FileSensorSettings().ExcludedPaths, .. excluded] },
    };

    private static List<Event> EventsUnder(SensorHarness h, string root) =>
        [.. h.Events.Where(e => PathOf(e) is { } p && (p == root || p.StartsWith(root + "/", StringComparison.Ordinal) || (e.FileRename?.OldPath ?? "").StartsWith(root + "/", StringComparison.Ordinal)))];

    private static string? PathOf(Event e) => e.PayloadCase switch
    {
        Event.PayloadOneofCase.FileCreate => e.FileCreate.File.Path,
        Event.PayloadOneofCase.FileModify => e.FileModify.File.Path,
        Event.PayloadOneofCase.FileDelete => e.FileDelete.File.Path,
        Event.PayloadOneofCase.FileRename => e.FileRename.File.Path,
        _ => null,
    };

    private static async Task<string> Run(string command, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync(command, arguments, timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"{command} failed: {result}");
        return result.Stdout.Trim();
    }

    private static async Task<string> Sha256Sum(string path) => (await Run("sha256sum", path)).Split(' ')[0];

    private static async Task<string> Md5Sum(string path) => (await Run("md5sum", path)).Split(' ')[0];

    [Fact]
    public async Task CreateModifyRenameDelete_AreReportedOnceEach_WithPathsHashesAndActingProcess()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var a = Path.Combine(tmpfs.Path, "a.txt");
        var b = Path.Combine(tmpfs.Path, "b.txt");
        await using (var h = new SensorHarness(new FileSensor(options: new FileSensorOptions { IgnoreOwnProcess = false }), Watch(tmpfs.Path)))
        {
            await h.StartAsync();

            await using (var writer = LingeringShell.Start("printf 'first line\\n' > \"$1\"", a))
            {
                var created = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == a, what: "FileCreate of a.txt");
                var file = created.FileCreate.File;
                Assert.Equal("a.txt", file.Name);
                Assert.Equal(await Sha256Sum(a), file.Sha256);
                Assert.Equal(await Md5Sum(a), file.Md5);
                Assert.Equal(11, file.Size);
                Assert.Equal(writer.Pid, created.Process.Pid);
                var shell = h.Processes.Get(writer.Pid)!;
                Assert.Equal(shell.UniquePid, created.Process.UniquePid);
                Assert.Equal(shell.ParentUniquePid, created.ParentUniquePid);
                Assert.Equal("0", created.User.Id);
                Assert.Equal("root", created.User.Name);
                var metadata = created.FileCreate.Metadata;
                Assert.Equal(await Run("stat", "-c", "%d:%i", a), metadata.FileId);
                Assert.Equal("regular", metadata.FileType);
                Assert.Equal(Convert.ToUInt32(await Run("stat", "-c", "%a", a), 8), metadata.Mode);
                Assert.Equal("0", metadata.Owner.Id);
                Assert.Equal("root", metadata.OwnerGroup.Name);
                Assert.Equal(1UL, metadata.HardLinks);
                Assert.Equal(["created"], created.FileCreate.Changes);
            }

            await using (var appender = LingeringShell.Start("printf 'second line\\n' >> \"$1\"", a))
            {
                var modified = await h.WaitForAsync(e => e.Type == EventType.FileModify && e.FileModify.File.Path == a, what: "FileModify of a.txt");
                Assert.Equal(await Sha256Sum(a), modified.FileModify.File.Sha256);
                Assert.Equal(23, modified.FileModify.File.Size);
                Assert.Equal(["content"], modified.FileModify.Changes);
                Assert.Equal(appender.Pid, modified.Process.Pid);
                Assert.Equal(h.Processes.Get(appender.Pid)!.UniquePid, modified.Process.UniquePid);
            }

            var self = h.Processes.Get(Environment.ProcessId)!;
            File.Move(a, b);
            var renamed = await h.WaitForAsync(e => e.Type == EventType.FileRename && e.FileRename.File.Path == b, what: "FileRename a.txt → b.txt");
            Assert.Equal(a, renamed.FileRename.OldPath);
            Assert.Equal("b.txt", renamed.FileRename.File.Name);
            Assert.Equal(await Sha256Sum(b), renamed.FileRename.File.Sha256);
            Assert.Equal(await Run("stat", "-c", "%d:%i", b), renamed.FileRename.Metadata.FileId);
            Assert.Equal(self.UniquePid, renamed.Process.UniquePid);

            var fileId = renamed.FileRename.Metadata.FileId;
            File.Delete(b);
            var deleted = await h.WaitForAsync(e => e.Type == EventType.FileDelete && e.FileDelete.File.Path == b, what: "FileDelete of b.txt");
            Assert.Equal(self.UniquePid, deleted.Process.UniquePid);
            Assert.Equal(Environment.ProcessId, deleted.Process.Pid);
            Assert.Equal(fileId, deleted.FileDelete.Metadata.FileId);
            Assert.Equal(["deleted"], deleted.FileDelete.Changes);

            await Task.Delay(Quiet, TestContext.Current.CancellationToken);
            Assert.Equal(
                [EventType.FileCreate, EventType.FileModify, EventType.FileRename, EventType.FileDelete],
                EventsUnder(h, tmpfs.Path).Select(e => e.Type));
        }
    }

    [Fact]
    public async Task DirectoryCreate_IsReportedAsADirectory_WithOwnerModeAndExtendedAttributes()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var dir = Path.Combine(tmpfs.Path, "new dir");
        var file = Path.Combine(dir, "tagged");
        await using (var h = new SensorHarness(new FileSensor(), Watch(tmpfs.Path)))
        {
            await h.StartAsync();
            // A user xattr and an ACL (the kernel's binary form, as setfacl writes it) set before the file is closed.
            const string script = """
                import os, struct, sys
                os.mkdir(sys.argv[1], 0o750)
                f = open(sys.argv[2], 'w')
                os.setxattr(sys.argv[2], 'user.osprey', b'1')
                acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in
                      [(1, 6, 0xffffffff), (2, 4, 1000), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)])
                os.setxattr(sys.argv[2], 'system.posix_acl_access', acl)
                f.write('x')
                f.close()
                sys.stdin.read()
                """;
            await using (LingeringShell.Start("python3 -c \"$1\" \"$2\" \"$3\"", script, dir, file))
            {
                var created = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == dir, what: "FileCreate of the directory");
                Assert.Equal("directory", created.FileCreate.Metadata.FileType);
                Assert.Equal(await Run("stat", "-c", "%d:%i", dir), created.FileCreate.Metadata.FileId);
                Assert.Equal(Convert.ToUInt32("750", 8), created.FileCreate.Metadata.Mode);
                Assert.Equal("", created.FileCreate.File.Sha256);
                Assert.Equal("new dir", created.FileCreate.File.Name);

                var tagged = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == file, what: "FileCreate of the tagged file");
                Assert.Contains("user.osprey", tagged.FileCreate.Metadata.ExtendedAttributes);
                Assert.Equal("user::rw-,user:1000:r--,group::r--,mask::r--,other::---", tagged.FileCreate.Metadata.Acl);
                Assert.Equal(await Sha256Sum(file), tagged.FileCreate.File.Sha256);
            }
        }
    }

    [Fact]
    public async Task ExcludedPaths_AndTheConstructorsExclusions_ProduceNoEvents()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var excluded = Path.Combine(tmpfs.Path, "excluded");
        var state = Path.Combine(tmpfs.Path, "agent-state");
        var marker = Path.Combine(tmpfs.Path, "marker");
        Directory.CreateDirectory(excluded);
        Directory.CreateDirectory(state);
        var sensor = new FileSensor([state], new FileSensorOptions { CreateHold = TimeSpan.FromMilliseconds(100) });
        await using (var h = new SensorHarness(sensor, Watch(tmpfs.Path, excluded)))
        {
            await h.StartAsync();
            await Run("sh", "-c", "mkdir \"$1/d\" && echo x > \"$1/d/f\" && echo y > \"$2/outbox\" && mv \"$2/outbox\" \"$2/outbox.1\" && rm \"$1/d/f\" && echo z > \"$3\"", "sh", excluded, state, marker);
            await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == marker, what: "FileCreate of the marker");
            await Task.Delay(Quiet, TestContext.Current.CancellationToken);
            var leaked = EventsUnder(h, excluded).Concat(EventsUnder(h, state)).ToList();
            Assert.True(leaked.Count == 0, $"events from excluded paths: {string.Join("\n", leaked)}");
            Assert.Equal([marker], EventsUnder(h, tmpfs.Path).Select(PathOf));
        }
    }

    [Fact]
    public async Task TheAgentsOwnWrites_AreIgnored()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var own = Path.Combine(tmpfs.Path, "own");
        var marker = Path.Combine(tmpfs.Path, "marker");
        await using (var h = new SensorHarness(new FileSensor(), Watch(tmpfs.Path)))
        {
            await h.StartAsync();
            await File.WriteAllTextAsync(own, "written by the agent process", TestContext.Current.CancellationToken);
            File.Move(own, own + ".moved");
            await Run("sh", "-c", "echo z > \"$1\"", "sh", marker);
            await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == marker, what: "FileCreate of the marker");
            await Task.Delay(Quiet, TestContext.Current.CancellationToken);
            Assert.Equal([marker], EventsUnder(h, tmpfs.Path).Select(PathOf));
        }
    }

    [Fact]
    public async Task DirectoryRename_OnTheRootFilesystem_UpdatesThePathsOfLaterEvents()
    {
        Root.Require();
        // A plain directory on the root filesystem: the mark covers all of it, and everything else written
        // there meanwhile (builds, other tests) must be filtered out by path.
        using var temp = new TempDirectory("osprey-file-ext");
        var first = Path.Combine(temp.Path, "first");
        var second = Path.Combine(temp.Path, "second");
        await using (var h = new SensorHarness(new FileSensor(options: new FileSensorOptions { IgnoreOwnProcess = false }), Watch(temp.Path)))
        {
            await h.StartAsync();
            Directory.CreateDirectory(first);
            await File.WriteAllTextAsync(Path.Combine(first, "one"), "1", TestContext.Current.CancellationToken);
            await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == Path.Combine(first, "one"), what: "FileCreate of first/one");

            Directory.Move(first, second);
            var renamed = await h.WaitForAsync(e => e.Type == EventType.FileRename && e.FileRename.File.Path == second, what: "FileRename first → second");
            Assert.Equal(first, renamed.FileRename.OldPath);
            Assert.Equal("directory", renamed.FileRename.Metadata.FileType);

            await File.WriteAllTextAsync(Path.Combine(second, "two"), "2", TestContext.Current.CancellationToken);
            var created = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Name == "two", what: "FileCreate of second/two");
            Assert.Equal(Path.Combine(second, "two"), created.FileCreate.File.Path);
            Assert.Equal(await Sha256Sum(Path.Combine(second, "two")), created.FileCreate.File.Sha256);

            var outside = EventsUnder(h, "/").Where(e => !(PathOf(e) ?? "").StartsWith(temp.Path + "/", StringComparison.Ordinal)).ToList();
            Assert.True(outside.Count == 0, $"events outside the watched directory: {string.Join("\n", outside.Take(5))}");
        }
    }

    [Fact]
    public async Task RepeatedWrites_AreCoalesced_AndTheLastEventHashesTheFinalContent()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var log = Path.Combine(tmpfs.Path, "log");
        await using (var h = new SensorHarness(new FileSensor(), Watch(tmpfs.Path)))
        {
            await h.StartAsync();
            await Run("sh", "-c", "echo start > \"$1\"", "sh", log);
            await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == log, what: "FileCreate of the log");

            // Fifty open-append-close cycles by one process, well inside one coalescing window.
            await Run("sh", "-c", "i=0; while [ $i -lt 50 ]; do echo line $i >> \"$1\"; i=$((i+1)); done", "sh", log);
            var final = await Sha256Sum(log);
            var last = await h.WaitForAsync(e => e.Type == EventType.FileModify && e.FileModify.File.Sha256 == final, what: "FileModify with the final content's hash");
            Assert.Equal(new FileInfo(log).Length, last.FileModify.File.Size);
            await Task.Delay(Quiet, TestContext.Current.CancellationToken);
            var modifies = EventsUnder(h, tmpfs.Path).Count(e => e.Type == EventType.FileModify);
            Assert.InRange(modifies, 1, 2);
        }
    }

    [Fact]
    public async Task AFileDeletedWhileStillOpen_IsReportedAsCreatedThenDeleted_WithoutAHashOfHalfWrittenContent()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var scratch = Path.Combine(tmpfs.Path, "scratch");
        var link = Path.Combine(tmpfs.Path, "link");
        var original = Path.Combine(tmpfs.Path, "original");
        await File.WriteAllTextAsync(original, "complete content", TestContext.Current.CancellationToken);
        await using (var h = new SensorHarness(new FileSensor(options: new FileSensorOptions { IgnoreOwnProcess = false }), Watch(tmpfs.Path)))
        {
            await h.StartAsync();
            // Opened, written, unlinked and only then closed: no close-after-write ever names the file.
            await using (var handle = File.Open(scratch, FileMode.CreateNew, FileAccess.Write))
            {
                await handle.WriteAsync("partial"u8.ToArray(), TestContext.Current.CancellationToken);
                await handle.FlushAsync(TestContext.Current.CancellationToken);
                File.Delete(scratch);
                await h.WaitForAsync(e => e.Type == EventType.FileDelete && e.FileDelete.File.Path == scratch, what: "FileDelete of the scratch file");
            }
            // A hard link to existing content: its create event carries the content's hash without waiting for a write.
            await Run("ln", original, link);
            var linked = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == link, TimeSpan.FromSeconds(1.5), what: "FileCreate of the hard link");
            Assert.Equal(await Sha256Sum(original), linked.FileCreate.File.Sha256);
            Assert.Equal(2UL, linked.FileCreate.Metadata.HardLinks);

            var events = EventsUnder(h, scratch);
            Assert.Equal([EventType.FileCreate, EventType.FileDelete], events.Select(e => e.Type));
            Assert.Equal("", events[0].FileCreate.File.Sha256);
            Assert.Equal(events[0].FileCreate.Metadata.FileId, events[1].FileDelete.Metadata.FileId);
            Assert.Equal("regular", events[1].FileDelete.Metadata.FileType);
        }
    }

    [Fact]
    public async Task FilesAboveTheHashBound_AreReportedWithSizeButWithoutHashes()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var small = Path.Combine(tmpfs.Path, "small");
        var large = Path.Combine(tmpfs.Path, "large");
        var options = Watch(tmpfs.Path);
        options.HashMaxBytes = 1024;
        await using (var h = new SensorHarness(new FileSensor(), options))
        {
            await h.StartAsync();
            await Run("sh", "-c", "head -c 4096 /dev/zero > \"$1\" && head -c 100 /dev/zero > \"$2\"", "sh", large, small);
            var big = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == large, what: "FileCreate of the large file");
            var little = await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == small, what: "FileCreate of the small file");
            Assert.Equal(4096, big.FileCreate.File.Size);
            Assert.Equal("", big.FileCreate.File.Sha256);
            Assert.Equal(await Run("stat", "-c", "%d:%i", large), big.FileCreate.Metadata.FileId);
            Assert.Equal(await Sha256Sum(small), little.FileCreate.File.Sha256);
        }
    }

    [Fact]
    public async Task AFilesystemMountedLater_IsWatched_AndCanBeUnmountedWhileTheSensorRuns()
    {
        Root.Require();
        using var temp = new TempDirectory("osprey-file-mounts");
        var mountPoint = Path.Combine(temp.Path, "later");
        Directory.CreateDirectory(mountPoint);
        await using (var h = new SensorHarness(new FileSensor(), Watch(temp.Path)))
        {
            await h.StartAsync();
            await Run("mount", "-t", "tmpfs", "-o", "size=8m", "osprey-later", mountPoint);
            var unmounted = false;
            try
            {
                Assert.Equal("tmpfs", await Run("stat", "-f", "-c", "%T", mountPoint));
                // The sensor marks the new filesystem once it sees the mount table change; until then writes there
                // go unseen, so write until one is reported.
                Event? created = null;
                for (var attempt = 0; attempt < 20 && created is null; attempt++)
                {
                    var file = Path.Combine(mountPoint, $"f{attempt}");
                    await Run("sh", "-c", "echo x > \"$1\"", "sh", file);
                    await Task.Delay(500, TestContext.Current.CancellationToken);
                    created = h.Events.FirstOrDefault(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == file);
                }
                Assert.True(created is not null, "no file created on the filesystem mounted after start was reported");
                Assert.Equal(await Run("stat", "-c", "%d:%i", created.FileCreate.File.Path), created.FileCreate.Metadata.FileId);

                // The sensor keeps nothing open on a watched filesystem, so it does not make it busy.
                var umount = await CommandRunner.RunAsync("umount", [mountPoint], timeout: TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
                unmounted = umount.ExitCode == 0;
                Assert.True(unmounted, $"umount of a watched filesystem failed while the sensor ran: {umount}");
                Assert.Equal(SensorStateRunning, h.Context.Health.State);
            }
            finally
            {
                if (!unmounted)
                {
                    await CommandRunner.RunAsync("umount", ["-l", mountPoint], timeout: TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);
                }
            }
        }
    }

    private const Osprey.Agent.Sensors.SensorState SensorStateRunning = Osprey.Agent.Sensors.SensorState.Running;

    [Fact]
    public async Task AKernelQueueOverflow_IsReportedAsALoss_AndTheSensorCarriesOn()
    {
        await using var tmpfs = await TmpfsMount.CreateAsync();
        var after = Path.Combine(tmpfs.Path, "after");
        // The reader waits while more changes happen than the kernel queues (fs.fanotify.max_queued_events).
        var queued = int.Parse(await File.ReadAllTextAsync("/proc/sys/fs/fanotify/max_queued_events", TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        var sensor = new FileSensor(options: new FileSensorOptions { ReadDelay = TimeSpan.FromSeconds(8) });
        await using (var h = new SensorHarness(sensor, Watch(tmpfs.Path)))
        {
            var losses = new List<string>();
            h.Context.Health.LossReported += (_, _, reason) => { lock (losses) { losses.Add(reason); } };
            await h.StartAsync();
            await Run("sh", "-c", "i=0; while [ $i -lt $2 ]; do : > \"$1/f$i\"; i=$((i+1)); done", "sh", tmpfs.Path, (queued + 2000).ToString(System.Globalization.CultureInfo.InvariantCulture));

            for (var waited = 0; h.Context.Health.Lost == 0 && waited < 300; waited++)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            Assert.True(h.Context.Health.Lost >= 1, "the overflow was not counted as a loss");

            // Once the reader has drained the queue, changes are seen again.
            await Run("sh", "-c", "echo after > \"$1\"", "sh", after);
            await h.WaitForAsync(e => e.Type == EventType.FileCreate && e.FileCreate.File.Path == after, TimeSpan.FromSeconds(30), what: "FileCreate after the overflow");
            Assert.InRange(h.Events.Count(e => e.Type == EventType.FileCreate), queued / 2, queued + 1);
            lock (losses)
            {
                Assert.Contains(losses, r => r.Contains("overflowed", StringComparison.Ordinal));
            }
            Assert.Equal(Osprey.Agent.Sensors.SensorState.Running, h.Context.Health.State);
        }
    }

    [Fact]
    public async Task Sensor_WithNoWatchablePath_IsUnsupportedWithAReason()
    {
        Root.Require();
        var options = new AgentOptions { Files = new FileSensorSettings { Paths = ["/proc/self"], ExcludedPaths = [] } };
        await using var h = new SensorHarness(new FileSensor(), options);
        await h.Sensor.RunAsync(h.Context, TestContext.Current.CancellationToken);
        Assert.Equal(Osprey.Agent.Sensors.SensorState.Unsupported, h.Context.Health.State);
        Assert.Contains("no filesystem under the configured paths can be watched", h.Context.Health.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/dev/null")]
    [InlineData("/etc/passwd")]
    public async Task FileId_IsWhatStatReportsAsDeviceAndInode(string path)
    {
        var status = Osprey.Agent.Interop.Libc.Stat(path, followLinks: false, out _)!;
        Assert.Equal(await Run("stat", "-c", "%d:%i", path), FileEventFactory.FileId(status));
    }
}
