using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Sensors.Processes;

/// <summary>The process sensor on the real kernel: real processes, compared with what coreutils and /proc say.</summary>
[Collection(nameof(ProcessSensorCollection))]
public sealed partial class ProcessSensorTests(ITestOutputHelper output)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ShellCommand_ExitingWithThree_HasExactStartAndMatchingStop()
    {
        RequireRoot();
        using var cwd = new TempDirectory("osprey-proc");
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        var self = h.Processes.Get(Environment.ProcessId)!;

        using var child = Start("/bin/sh", ["-c", "sleep 0.3; exit 3"], cwd.Path);
        var start = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id && e.ProcessStart.SpawnSyscall == "execve", EventTimeout, "ProcessStart of sh");
        var startTicks = StartTicksOf(child.Id);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        var stop = await h.WaitForAsync(e => e.Type == EventType.ProcessStop && e.Process.Pid == child.Id, EventTimeout, "ProcessStop of sh");

        var exe = await RealPathAsync("/bin/sh");
        Assert.Equal("/bin/sh -c \"sleep 0.3; exit 3\"", start.Process.CommandLine);
        Assert.Equal(exe, start.Process.File.Path);
        Assert.Equal(Path.GetFileName(exe), start.Process.Name);
        Assert.Equal(await Sha256SumAsync("/bin/sh"), start.Process.File.Sha256);
        Assert.Equal(await Md5SumAsync("/bin/sh"), start.Process.File.Md5);
        Assert.Equal(new FileInfo(exe).Length, start.Process.File.Size);
        Assert.Matches("^[0-9a-f]{32}$", start.Process.UniquePid);
        Assert.Equal(h.Processes.Identity.UniquePidOf(child.Id, startTicks), start.Process.UniquePid);

        Assert.Equal(self.UniquePid, start.ParentUniquePid);
        Assert.Equal(self.UniquePid, start.ProcessStart.Parent.UniquePid);
        Assert.Equal(Environment.ProcessId, start.ProcessStart.ParentPid);
        Assert.Equal(Environment.ProcessId, start.ProcessStart.Parent.Pid);
        Assert.Equal(self.CommandLine, start.ProcessStart.Parent.CommandLine);

        var credentials = start.ProcessStart.Credentials;
        Assert.Equal("0", credentials.User.Id);
        Assert.Equal("root", credentials.User.Name);
        Assert.Equal("0", credentials.EffectiveUser.Id);
        Assert.Equal("root", credentials.EffectiveUser.Name);
        Assert.Equal("0", credentials.Group.Id);
        Assert.Equal("root", credentials.EffectiveGroup.Name);
        Assert.Equal("root", credentials.AccountType);
        Assert.Equal("root", start.User.Name);
        var loginUid = File.ReadAllText("/proc/self/loginuid").Trim();
        Assert.Equal(loginUid == "4294967295" ? null : loginUid, credentials.LoginUser?.Id);

        Assert.Equal(cwd.Path, start.ProcessStart.Cwd);
        Assert.Equal(SelfStatField(6), start.ProcessStart.SessionId);
        Assert.Equal("executable", start.ProcessStart.ProcessType);
        Assert.Equal(ExpectedContainerId(), start.ProcessStart.ContainerId);
        var (device, inode, mode, owner) = await StatAsync(exe);
        Assert.Equal(device + ":" + inode, start.ProcessStart.Executable.FileId);
        Assert.Equal("regular", start.ProcessStart.Executable.FileType);
        Assert.Equal(mode, start.ProcessStart.Executable.Mode);
        Assert.Equal(owner, start.ProcessStart.Executable.Owner.Name);
        var nowUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.InRange(start.TimeUs, nowUs - 30_000_000, nowUs);

        Assert.Equal(start.Process.UniquePid, stop.Process.UniquePid);
        Assert.Equal(3, child.ExitCode);
        Assert.Equal(3, stop.ProcessStop.ExitCode);
        Assert.Equal(0, stop.ProcessStop.ExitSignal);
        Assert.Equal(self.UniquePid, stop.ParentUniquePid);
        Assert.Equal(self.UniquePid, stop.ProcessStop.Parent.UniquePid);
        Assert.Equal(start.ProcessStart.SessionId, stop.ProcessStop.SessionId);
        // sh ran about 0.3 s (sleep 0.3) between its exec and its exit.
        Assert.InRange(stop.ProcessStop.EndTimeUs - start.TimeUs, 250_000, 10_000_000);
        Assert.Equal(stop.TimeUs, stop.ProcessStop.EndTimeUs);
    }

    [Fact]
    public async Task KilledProcess_StopCarriesTheSignal()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        using var child = Start("/bin/sleep", ["30"]);
        var start = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id, EventTimeout, "ProcessStart of sleep");
        child.Kill();
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        var stop = await h.WaitForAsync(e => e.Type == EventType.ProcessStop && e.Process.Pid == child.Id, EventTimeout, "ProcessStop of sleep");
        Assert.Equal(start.Process.UniquePid, stop.Process.UniquePid);
        Assert.Equal(9, stop.ProcessStop.ExitSignal);
        Assert.Equal(128 + 9, stop.ProcessStop.ExitCode);
    }

    [Fact]
    public async Task SetuidCopy_RunAsNobody_HasRealAndEffectiveUsers()
    {
        RequireRoot();
        using var dir = new TempDirectory("osprey-setuid");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)Convert.ToInt32("755", 8));
        var copy = Path.Combine(dir.Path, "osprey-suid-sleep");
        File.Copy("/bin/sleep", copy);
        File.SetUnixFileMode(copy, (UnixFileMode)Convert.ToInt32("4755", 8));
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();

        using var child = Start("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", copy, "0.3"]);
        var start = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id && e.Process.File.Path == copy, EventTimeout, "ProcessStart of the setuid copy");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        var credentials = start.ProcessStart.Credentials;
        Assert.Equal("nobody", credentials.User.Name);
        Assert.Equal("65534", credentials.User.Id);
        Assert.Equal("root", credentials.EffectiveUser.Name);
        Assert.Equal("nogroup", credentials.Group.Name);
        Assert.Equal("nogroup", credentials.EffectiveGroup.Name);
        Assert.Equal("system", credentials.AccountType);
        Assert.Equal("nobody", start.User.Name);
        Assert.Equal(copy + " 0.3", start.Process.CommandLine);
        Assert.Contains("setuid", start.ProcessStart.Executable.Attributes);
        Assert.Equal(Convert.ToUInt32("4755", 8), start.ProcessStart.Executable.Mode);
        Assert.Equal(await Sha256SumAsync(copy), start.Process.File.Sha256);
        // setpriv executed the copy in the same process: the same UniquePID, created by the test process.
        Assert.Equal(h.Processes.Get(Environment.ProcessId)!.UniquePid, start.ParentUniquePid);
    }

    [Fact]
    public async Task Executable_WithAclExtendedAttributeAndHardLink_HasThemInItsMetadata()
    {
        RequireRoot();
        using var dir = new TempDirectory("osprey-meta");
        var copy = Path.Combine(dir.Path, "osprey-meta-sleep");
        File.Copy("/bin/sleep", copy);
        Assert.Equal(0, (await CommandRunner.RunAsync("ln", [copy, copy + "-link"], cancellationToken: TestContext.Current.CancellationToken)).ExitCode);
        SetXattr(copy, "user.osprey.test", "1"u8.ToArray());
        // version 2: user::rwx, user:65534:r-x, group::r-x, mask::r-x, other::r-x (the kernel validates it).
        SetXattr(copy, "system.posix_acl_access",
        [
            2, 0, 0, 0,
            0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
            0x02, 0, 5, 0, 0xfe, 0xff, 0, 0,
            0x04, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
            0x10, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
            0x20, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
        ]);
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();

        using var child = Start(copy, ["0.3"]);
        var start = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id, EventTimeout, "ProcessStart of the copy");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        var metadata = start.ProcessStart.Executable;
        Assert.Equal("user::rwx,user:nobody:r-x,group::r-x,mask::r-x,other::r-x", metadata.Acl);
        Assert.Contains("user.osprey.test", metadata.ExtendedAttributes);
        Assert.Contains("system.posix_acl_access", metadata.ExtendedAttributes);
        Assert.Equal(2UL, metadata.HardLinks);
        var changed = await CommandRunner.RunAsync("stat", ["-c", "%Z", copy], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(long.Parse(changed.Stdout.Trim(), CultureInfo.InvariantCulture), metadata.StatusChangedUs / 1_000_000);
        var (device, inode, _, _) = await StatAsync(copy);
        Assert.Equal(device + ":" + inode, metadata.FileId);
    }

    [Fact]
    public async Task LoginUid_IsTheLoginUserWithItsPrimaryGroup()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        // The audit login UID is set once per login session; a fresh shell may set its own and then run a program.
        using var child = Start("/bin/sh", ["-c", "echo 65534 > /proc/self/loginuid && exec /bin/sleep 0.3"]);
        var start = await h.WaitForAsync(
            e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id && e.Process.Name == "sleep", EventTimeout, "ProcessStart of sleep");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, child.ExitCode);
        Assert.Equal("/bin/sleep 0.3", start.Process.CommandLine);
        Assert.Equal("nobody", start.ProcessStart.Credentials.LoginUser.Name);
        Assert.Equal("65534", start.ProcessStart.Credentials.LoginUser.Id);
        Assert.Equal("nogroup", start.ProcessStart.Credentials.LoginGroup.Name);
        Assert.Equal("root", start.ProcessStart.Credentials.User.Name);
        // sh executed sleep in the same process: a second start with the same UniquePID.
        var shell = Assert.Single(h.Events, e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id && e.Process.Name != "sleep");
        Assert.Equal(shell.Process.UniquePid, start.Process.UniquePid);
        Assert.Equal("/bin/sh -c \"echo 65534 > /proc/self/loginuid && exec /bin/sleep 0.3\"", shell.Process.CommandLine);
        Assert.Equal(await RealPathAsync("/bin/sh"), shell.Process.File.Path);
    }

    [Fact]
    public async Task Environment_IsRedactedInTheEvent()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        using var child = Start("/bin/sleep", ["0.3"], environment: new() { ["OSPREY_TEST_SECRET"] = "hunter2", ["OSPREY_PLAIN"] = "visible" });
        var start = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id, EventTimeout, "ProcessStart of sleep");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Contains("OSPREY_TEST_SECRET=[redacted]", start.ProcessStart.Environment);
        Assert.Contains("OSPREY_PLAIN=visible", start.ProcessStart.Environment);
        Assert.DoesNotContain(start.ProcessStart.Environment, v => v.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subshell_ThatForksWithoutExec_GetsForkStartAndStop()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        // dash runs "( … )" in a forked child that never executes anything.
        using var child = Start("/bin/sh", ["-c", "(exit 5); sleep 0.2"]);
        var shell = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id, EventTimeout, "ProcessStart of sh");
        var forked = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.ProcessStart.SpawnSyscall == "fork" && e.ParentUniquePid == shell.Process.UniquePid, EventTimeout, "fork ProcessStart of the subshell");
        var stop = await h.WaitForAsync(e => e.Type == EventType.ProcessStop && e.Process.UniquePid == forked.Process.UniquePid, EventTimeout, "ProcessStop of the subshell");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(child.Id, forked.ProcessStart.ParentPid);
        Assert.NotEqual(child.Id, forked.Process.Pid);
        Assert.Equal(shell.Process.CommandLine, forked.Process.CommandLine);
        Assert.Equal(shell.Process.File.Sha256, forked.Process.File.Sha256);
        Assert.Equal(5, stop.ProcessStop.ExitCode);
        Assert.Equal(shell.Process.UniquePid, stop.ParentUniquePid);
        // Inherited at the fork, with no change reported since.
        Assert.Equal("root", forked.ProcessStart.Credentials.User.Name);
        Assert.Equal("root", forked.ProcessStart.Credentials.EffectiveUser.Name);
        Assert.Equal(shell.ProcessStart.SessionId, forked.ProcessStart.SessionId);
        Assert.Equal(shell.ProcessStart.Cwd, forked.ProcessStart.Cwd);
    }

    [Fact]
    public async Task LongLivedFork_IsAnnouncedWhileItRuns_AndParentsWhatItStarts()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        // The subshell never executes anything itself; it runs sleep four times, then exits with 7.
        using var child = Start("/bin/sh", ["-c", "(for i in 1 2 3 4; do sleep 0.4; done; exit 7); true"]);
        var shell = await h.WaitForAsync(e => e.Type == EventType.ProcessStart && e.Process.Pid == child.Id, EventTimeout, "ProcessStart of sh");
        var forked = await h.WaitForAsync(
            e => e.Type == EventType.ProcessStart && e.ProcessStart.SpawnSyscall == "fork" && e.ParentUniquePid == shell.Process.UniquePid,
            EventTimeout, "fork ProcessStart of the subshell");
        var announcedWhileRunning = File.Exists($"/proc/{forked.Process.Pid}/stat");
        var stop = await h.WaitForAsync(e => e.Type == EventType.ProcessStop && e.Process.UniquePid == forked.Process.UniquePid, EventTimeout, "ProcessStop of the subshell");
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(announcedWhileRunning, "the subshell was announced only at its exit");
        Assert.True(forked.ProcessStart.Credentials is not null, "the live subshell's credentials were read");
        Assert.Equal(shell.Process.CommandLine, forked.Process.CommandLine);
        // The event is dated at the fork, not when the sensor announced it.
        Assert.InRange(forked.TimeUs - shell.TimeUs, 0, 500_000);
        Assert.Equal(7, stop.ProcessStop.ExitCode);
        var sleeps = h.Events.Where(e => e.Type == EventType.ProcessStart && e.Process.Name == "sleep" && e.ParentUniquePid == forked.Process.UniquePid).ToList();
        Assert.Equal(4, sleeps.Count);
        Assert.All(sleeps, e => Assert.Equal("sleep 0.4", e.Process.CommandLine));
    }

    [Fact]
    public async Task DynamicProgram_ReportsLibcOnceWithItsHashAndBase()
    {
        RequireRoot();
        await using var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        using var child = Start("/bin/sleep", ["2"]);
        var load = await h.WaitForAsync(
            e => e.Type == EventType.ModuleLoad && e.Process.Pid == child.Id && e.ModuleLoad.Module.Path.EndsWith("/libc.so.6", StringComparison.Ordinal),
            EventTimeout, "ModuleLoad of libc");
        var maps = await File.ReadAllLinesAsync($"/proc/{child.Id}/maps", TestContext.Current.CancellationToken);
        var startTicks = StartTicksOf(child.Id);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);

        var module = load.ModuleLoad.Module;
        Assert.Equal("libc.so.6", module.Name);
        Assert.Equal(await Sha256SumAsync(module.Path), module.Sha256);
        Assert.Equal(await Md5SumAsync(module.Path), module.Md5);
        Assert.Equal(new FileInfo(module.Path).Length, module.Size);
        var (device, inode, _, _) = await StatAsync(module.Path);
        Assert.Equal(device + ":" + inode, load.ModuleLoad.FileId);
        var first = maps.First(l => l.EndsWith(" " + module.Path, StringComparison.Ordinal) && l.Split(' ')[2] == "00000000");
        Assert.Equal(ulong.Parse(first[..first.IndexOf('-', StringComparison.Ordinal)], NumberStyles.HexNumber, CultureInfo.InvariantCulture), load.ModuleLoad.BaseAddress);
        Assert.Equal(h.Processes.Identity.UniquePidOf(child.Id, startTicks), load.Process.UniquePid);
        Assert.Equal(h.Processes.Get(Environment.ProcessId)!.UniquePid, load.ParentUniquePid);
        Assert.Equal("root", load.User.Name);

        // Later reads of the same process report nothing new; the executable itself is not a module.
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Single(h.Events, e => e.Type == EventType.ModuleLoad && e.Process.Pid == child.Id && e.ModuleLoad.Module.Path == module.Path);
        Assert.DoesNotContain(h.Events, e => e.Type == EventType.ModuleLoad && e.Process.Pid == child.Id && e.ModuleLoad.Module.Path == load.Process.File.Path);
    }

    [Fact]
    public async Task BurstOf300ShortProcesses_AtLeast99PercentArriveWithCommandLines()
    {
        RequireRoot();
        const int count = 300;
        var sensor = new ProcessSensor();
        await using var h = new SensorHarness(sensor);
        await h.StartAsync();
        // A first burst compiles and tiers up the code on both sensor threads; the agent runs for days, and what
        // matters is how it captures once warm, not while the JIT still replaces code under it.
        var warm = await CommandRunner.RunAsync(
            "/bin/sh", ["-c", $"i=0; while [ $i -lt {count} ]; do /bin/true warm-up $i; i=$((i+1)); done"],
            timeout: TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, warm.ExitCode);
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var trueSha256 = await Sha256SumAsync("/bin/true");
        var tag = "burst-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Null(h.Context.Health.Message); // running with the kernel exec capture
        var (partial0, bare0, anonymous0, recorded0) = (sensor.Counters.PartialStarts, sensor.Counters.StartsWithoutCommandLine, sensor.Counters.StartsWithoutCredentials, sensor.Counters.KernelRecordStarts);
        var started = Stopwatch.StartNew();
        var result = await CommandRunner.RunAsync(
            "/bin/sh", ["-c", $"i=0; while [ $i -lt {count} ]; do /bin/true {tag} $i; i=$((i+1)); done"],
            environment: new Dictionary<string, string> { ["OSPREY_BURST_SECRET"] = "hunter2" },
            timeout: TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken);
        var elapsed = started.Elapsed;
        Assert.Equal(0, result.ExitCode);

        // Every exec and exit has happened; wait until the sensor has reported all it is going to.
        var expected = Enumerable.Range(0, count).Select(i => $"/bin/true {tag} {i}").ToHashSet(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + EventTimeout;
        var seen = -1;
        List<Event> starts, stops;
        while (true)
        {
            var events = h.Events.ToList();
            var shell = ShellOf(events, tag);
            starts = events.Where(e => e.Type == EventType.ProcessStart && e.ProcessStart.SpawnSyscall == "execve" && e.ParentUniquePid == shell).ToList();
            var ids = starts.Select(e => e.Process.UniquePid).ToHashSet(StringComparer.Ordinal);
            stops = events.Where(e => e.Type == EventType.ProcessStop && ids.Contains(e.Process.UniquePid)).ToList();
            if ((starts.Count >= count && stops.Count >= starts.Count) || DateTime.UtcNow > deadline || (events.Count == seen && stops.Count >= starts.Count))
            {
                break;
            }
            seen = events.Count;
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
        var complete = starts.Count(e => expected.Contains(e.Process.CommandLine));
        var credentials = starts.Count(e => e.ProcessStart.Credentials?.User?.Name == "root" && e.ProcessStart.Credentials.EffectiveUser.Name == "root");
        var hashed = starts.Count(e => e.Process.File?.Sha256 == trueSha256);
        var contexts = starts.Count(e => e.ProcessStart.Cwd == Environment.CurrentDirectory && e.ProcessStart.Environment.Contains("OSPREY_BURST_SECRET=[redacted]"));
        output.WriteLine(
            $"burst: {count} execs of /bin/true in {elapsed.TotalMilliseconds:F0} ms; ProcessStart {starts.Count}, with the exact command line {complete}, " +
            $"with credentials {credentials}, with the executable's SHA-256 {hashed}, with working directory and (redacted) environment {contexts}, " +
            $"ProcessStop {stops.Count}; partial starts {sensor.Counters.PartialStarts - partial0}, without command line {sensor.Counters.StartsWithoutCommandLine - bare0}, " +
            $"without credentials {sensor.Counters.StartsWithoutCredentials - anonymous0}, from the kernel exec record {sensor.Counters.KernelRecordStarts - recorded0}, " +
            $"kernel lost {sensor.Counters.KernelLostEvents}, queue waits {sensor.Counters.QueueWaits}");
        // Every exec is reported (never silently lost), and a process gone before the sensor read /proc still has
        // what it was started with, from the kernel's exec record.
        Assert.Equal(count, starts.Count);
        Assert.Equal(count, stops.Count);
        Assert.True(complete >= count * 99 / 100, $"only {complete} of {count} starts carried the exact command line");
        Assert.True(credentials >= count * 99 / 100, $"only {credentials} of {count} starts carried credentials");
        Assert.True(hashed >= count * 99 / 100, $"only {hashed} of {count} starts carried the executable's hash");
        Assert.True(contexts >= count * 99 / 100, $"only {contexts} of {count} starts carried their working directory and environment");
        Assert.DoesNotContain(starts, e => e.ProcessStart.Environment.Any(v => v.Contains("hunter2", StringComparison.Ordinal)));
        Assert.All(stops, e => Assert.Equal(0, e.ProcessStop.ExitCode));
    }

    /// <summary>UniquePID of the shell that ran the burst loop (its command line holds the tag).</summary>
    private static string? ShellOf(List<Event> events, string tag) =>
        events.FirstOrDefault(e => e.Type == EventType.ProcessStart && e.Process.Name is "sh" or "dash" && e.Process.CommandLine.Contains(tag, StringComparison.Ordinal))?.Process.UniquePid;

    [Fact]
    public async Task Cancellation_StopsTheSensorAndItsReaderThreadPromptly()
    {
        RequireRoot();
        var h = new SensorHarness(new ProcessSensor());
        await h.StartAsync();
        Assert.Equal(1, ReaderThreads());
        var stopping = Stopwatch.StartNew();
        await h.DisposeAsync();

        Assert.InRange(stopping.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(Osprey.Agent.Sensors.SensorState.Stopped, h.Context.Health.State);
        Assert.Equal(0, ReaderThreads());

        static int ReaderThreads() =>
            Directory.EnumerateDirectories("/proc/self/task").Count(t => File.ReadAllText(Path.Combine(t, "comm")).Trim() == "osprey-proc-con");
    }

    private static unsafe void SetXattr(string path, string name, byte[] value)
    {
        fixed (byte* v = value)
        {
            Assert.True(SetXattrNative(path, name, v, (nuint)value.Length, 0) == 0, $"setxattr {name} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int SetXattrNative(string path, string name, byte* value, nuint size, int flags);

    private static void RequireRoot() =>
        Assert.True(Environment.IsPrivilegedProcess, "the process sensor tests need root (the proc connector requires CAP_NET_ADMIN); run them as root");

    private static Process Start(string file, string[] arguments, string? cwd = null, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, WorkingDirectory = cwd ?? "" };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        return Process.Start(info)!;
    }

    private static async Task<string> RealPathAsync(string path)
    {
        var result = await CommandRunner.RunAsync("realpath", [path], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ExitCode);
        return result.Stdout.Trim();
    }

    private static async Task<string> Sha256SumAsync(string path) => await HashSumAsync("sha256sum", path);

    private static async Task<string> Md5SumAsync(string path) => await HashSumAsync("md5sum", path);

    private static async Task<string> HashSumAsync(string tool, string path)
    {
        var result = await CommandRunner.RunAsync(tool, [path], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ExitCode);
        return result.Stdout.Split(' ')[0];
    }

    /// <summary>Device (st_dev, as file IDs write it), inode, permission bits and owner name, from coreutils stat.</summary>
    private static async Task<(ulong Device, ulong Inode, uint Mode, string Owner)> StatAsync(string path)
    {
        var result = await CommandRunner.RunAsync("stat", ["-L", "-c", "%d %i %a %U", path], cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(0, result.ExitCode);
        var f = result.Stdout.Trim().Split(' ');
        return (ulong.Parse(f[0], CultureInfo.InvariantCulture), ulong.Parse(f[1], CultureInfo.InvariantCulture), Convert.ToUInt32(f[2], 8), f[3]);
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks): the UniquePID input; the process must still run.</summary>
    private static long StartTicksOf(int pid)
    {
        var path = $"/proc/{pid}/stat";
        Assert.True(File.Exists(path), $"process {pid} exited before the test could read its start time");
        var stat = File.ReadAllText(path);
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
    }

    private static string SelfStatField(int field)
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[field - 3];
    }

    private static string ExpectedContainerId()
    {
        var match = ContainerIdPattern().Match(File.ReadAllText("/proc/self/cgroup"));
        return match.Success ? match.Groups[1].Value : "";
    }

    [GeneratedRegex("[/:-]([0-9a-f]{64})(?:\\.scope|/|$)", RegexOptions.Multiline)]
    private static partial Regex ContainerIdPattern();
}
