using System.Globalization;
using System.Text.RegularExpressions;
using Osprey.Agent.Configuration;
using Osprey.Agent.Interop;
using Osprey.Agent.Prevention;
using Osprey.Agent.Sensors;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;
using Osprey.Testing.Processes;

namespace Osprey.Agent.Tests.Prevention;

/// <summary>
/// Ignore marks on a filesystem a path rule reaches: set only on a file whose path nobody but root can change, so a
/// file a user could rename or link into a rule's reach is asked about at every exec. What is asserted is the kernel's
/// own state (the group's inode marks in /proc/self/fdinfo) and what a user sees (an exec refused, the kernel no longer
/// asking). Safety (DESIGN §4): only a tmpfs this test mounts is intercepted.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class PreventionFixedPathTests : IEventSink
{
    private const uint Nobody = 65534;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public bool TryEmit(Event e) => true;

    [Fact]
    public async Task RootProgram_InRootOnlyDirectories_GetsAnIgnoreMarkAtItsFirstExec_AndStillRuns()
    {
        await using var setup = await Setup.CreateAsync(this);
        var program = await setup.ProgramAsync("bin", 0b111_101_101, "tool");

        await AssertRunsAsync(program);
        Assert.True((IgnoredMask(program) & Fanotify.OpenExecPermission) != 0, $"no exec ignore mark on {program}: {FdInfo()}");
        Assert.True(setup.Engine.IgnoreMarks >= 1);

        // The kernel no longer asks: further execs raise no event at all.
        var answered = await setup.AnsweredAsync();
        await AssertRunsAsync(program);
        await AssertRunsAsync(program);
        Assert.Equal(answered, await setup.AnsweredAsync());
    }

    [Theory]
    [InlineData(0b111_111_111, 0u)] // 0777, no sticky bit: anyone may rename its entries
    [InlineData(0b111_111_101, 0u)] // 0775: the group may
    [InlineData(0b111_101_101, Nobody)] // 0755 but owned by nobody
    public async Task Program_InADirectoryAUserCanChange_GetsNoIgnoreMark_AndIsRefusedOnceRenamedIntoARulesReach(int mode, uint owner)
    {
        await using var setup = await Setup.CreateAsync(this);
        var program = await setup.ProgramAsync("shared", mode, "tool", directoryOwner: owner);

        await AssertRunsAsync(program);
        Assert.Equal(0ul, IgnoredMask(program) & Fanotify.OpenExecPermission);
        var answered = await setup.AnsweredAsync();
        await AssertRunsAsync(program);
        Assert.True(await setup.AnsweredAsync() > answered, "the second exec was not asked about");

        // What the missing mark is for: whoever can write the directory renames the program into the rule's reach.
        var renamed = Path.Combine(Path.GetDirectoryName(program)!, "blocked-tool");
        File.Move(program, renamed);
        var blocked = setup.Engine.Blocked;
        AssertRefused(await RunAsync(renamed));
        Assert.Equal(blocked + 1, setup.Engine.Blocked);
    }

    [Fact]
    public async Task InAStickyDirectory_RootsProgramGetsAnIgnoreMark_ButAUsersDoesNot()
    {
        await using var setup = await Setup.CreateAsync(this);
        var rootProgram = await setup.ProgramAsync("sticky", 0b111_111_111 | (int)UnixFileMode.StickyBit, "root-tool");
        var userProgram = await setup.ProgramAsync("sticky", 0b111_111_111 | (int)UnixFileMode.StickyBit, "user-tool", fileOwner: Nobody);

        await AssertRunsAsync(rootProgram);
        await AssertRunsAsync(userProgram);
        Assert.True((IgnoredMask(rootProgram) & Fanotify.OpenExecPermission) != 0, $"no exec ignore mark on {rootProgram}: {FdInfo()}");
        Assert.Equal(0ul, IgnoredMask(userProgram) & Fanotify.OpenExecPermission);

        // The user who owns it may rename it in the sticky directory, into the rule's reach.
        var renamed = Path.Combine(Path.GetDirectoryName(userProgram)!, "blocked-user-tool");
        File.Move(userProgram, renamed);
        AssertRefused(await RunAsync(renamed));
    }

    [Fact]
    public async Task ProgramWithTwoLinks_GetsNoIgnoreMark_AndItsOtherNameInARulesReachIsRefused()
    {
        await using var setup = await Setup.CreateAsync(this);
        var program = await setup.ProgramAsync("bin", 0b111_101_101, "tool");
        var link = Path.Combine(Path.GetDirectoryName(program)!, "blocked-link");
        var ln = await CommandRunner.RunAsync("ln", [program, link], cancellationToken: Ct);
        Assert.True(ln.ExitCode == 0, ln.ToString());

        await AssertRunsAsync(program);
        Assert.Equal(0ul, IgnoredMask(program) & Fanotify.OpenExecPermission);
        AssertRefused(await RunAsync(link));
    }

    [Fact]
    public async Task GroupWritableRootProgram_GetsNoIgnoreMark()
    {
        await using var setup = await Setup.CreateAsync(this);
        var program = await setup.ProgramAsync("bin", 0b111_101_101, "tool", fileMode: 0b111_111_101);

        await AssertRunsAsync(program);
        Assert.Equal(0ul, IgnoredMask(program) & Fanotify.OpenExecPermission);
        var answered = await setup.AnsweredAsync();
        await AssertRunsAsync(program);
        Assert.True(await setup.AnsweredAsync() > answered, "the second exec was not asked about");
    }

    private static async Task AssertRunsAsync(string program)
    {
        var result = await RunAsync(program);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static void AssertRefused(ProcessResult result) =>
        Assert.True(result.ExitCode != 0 && result.Stderr.Contains("Operation not permitted", StringComparison.Ordinal), result.ToString());

    // Through a shell (on a filesystem not intercepted) so a refused exec is the shell's error message.
    private static Task<ProcessResult> RunAsync(string program) => CommandRunner.RunAsync("/bin/sh", ["-c", $"'{program}'"], cancellationToken: Ct);

    /// <summary>The ignored mask of this process's fanotify inode marks on <paramref name="path"/>'s inode (0: none).</summary>
    private static ulong IgnoredMask(string path)
    {
        var status = Libc.Stat(path, followLinks: false, out var errno) ?? throw Errno.ToException(errno, "statx " + path);
        // fdinfo prints the kernel's internal dev_t: major << 20 | minor.
        var device = ((status.Device >> 32) << 20) | (status.Device & 0xFFFFF);
        var mask = 0ul;
        foreach (Match mark in InodeMark().Matches(FdInfo()))
        {
            if (ulong.Parse(mark.Groups["ino"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) == status.Inode
                && ulong.Parse(mark.Groups["sdev"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) == device)
            {
                mask |= ulong.Parse(mark.Groups["ignored"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        return mask;
    }

    /// <summary>The fdinfo of every fanotify group this process holds.</summary>
    private static string FdInfo()
    {
        var text = new System.Text.StringBuilder();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == "anon_inode:[fanotify]")
                {
                    text.Append(File.ReadAllText("/proc/self/fdinfo/" + Path.GetFileName(fd)));
                }
            }
            catch (IOException)
            {
                // Closed meanwhile (another test's descriptor).
            }
        }
        return text.ToString();
    }

    [GeneratedRegex(@"^fanotify ino:(?<ino>[0-9a-f]+) sdev:(?<sdev>[0-9a-f]+) mflags:[0-9a-f]+ mask:[0-9a-f]+ ignored_mask:(?<ignored>[0-9a-f]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex InodeMark();

    /// <summary>A tmpfs under /tmp with the engine enforcing a path rule on it (any file named blocked-*).</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly TmpfsMount _mount;
        private readonly TempDirectory _state;

        private Setup(TmpfsMount mount, TempDirectory state, PreventionEngine engine)
        {
            _mount = mount;
            _state = state;
            Engine = engine;
        }

        public PreventionEngine Engine { get; }

        public static async Task<Setup> CreateAsync(IEventSink sink)
        {
            RootCheck.Require();
            Assert.True(File.ReadAllText("/proc/sys/fs/protected_hardlinks").Trim() == "1",
                "fs.protected_hardlinks must be 1 (the default of Debian and systemd) for the agent to trust a file's path");
            var mount = await TmpfsMount.CreateAsync("osprey-prevention-fixed-");
            var state = new TempDirectory("osprey-prevention-fixed-state");
            var engine = new PreventionEngine(
                new PreventionOptions { Paths = [mount.Path] },
                Path.Combine(state.Path, "prevention.pb"),
                SensorHarness.ContextFor("prevention", sink, new AgentOptions()));
            var applied = engine.Apply(new PreventionPolicy
            {
                Version = 1,
                Rules = { new PreventionRule { RuleId = "blocked-names", PathPattern = mount.Path + "/**/blocked-*", Mode = PreventionMode.Block } },
            });
            Assert.Equal(1u, applied.RuleCount);
            return new Setup(mount, state, engine);
        }

        /// <summary>A unique copy of /bin/true in a directory of the mount with the given mode and owners.</summary>
        public async Task<string> ProgramAsync(string directory, int directoryMode, string name, uint directoryOwner = 0, uint fileOwner = 0, int fileMode = 0b111_101_101)
        {
            var dir = Path.Combine(_mount.Path, directory);
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, (UnixFileMode)directoryMode);
            await ChownAsync(dir, directoryOwner);
            var path = Path.Combine(dir, name);
            await File.WriteAllBytesAsync(path, [.. await File.ReadAllBytesAsync("/bin/true", Ct), .. Guid.NewGuid().ToByteArray()], Ct);
            File.SetUnixFileMode(path, (UnixFileMode)fileMode);
            await ChownAsync(path, fileOwner);
            return path;
        }

        /// <summary>Events the engine answered (counted just after each answer: given a moment to settle).</summary>
        public async Task<long> AnsweredAsync()
        {
            await Task.Delay(100, Ct);
            return Engine.Allowed + Engine.Blocked + Engine.Audited;
        }

        public async ValueTask DisposeAsync()
        {
            Engine.Dispose();
            _state.Dispose();
            await _mount.DisposeAsync();
        }

        private static async Task ChownAsync(string path, uint owner)
        {
            if (owner == 0)
            {
                return;
            }
            var chown = await CommandRunner.RunAsync("chown", [$"{owner}:{owner}", path], cancellationToken: Ct);
            Assert.True(chown.ExitCode == 0, chown.ToString());
        }
    }
}
