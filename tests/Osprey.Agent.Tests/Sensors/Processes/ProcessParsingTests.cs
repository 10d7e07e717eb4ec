using Osprey.Agent.Sensors;
using System.Text;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tests.Sensors.Processes;

/// <summary>Parsers of /proc and attribute formats, with well-formed and malformed input.</summary>
public sealed class ProcessParsingTests
{
    private const string Libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

    [Fact]
    public void Maps_OneEntryPerFile_WithBaseAtOffsetZeroAndAnExecutableRange()
    {
        var maps = string.Join('\n',
            "55d0a0000000-55d0a0002000 r--p 00000000 fd:01 131 /usr/bin/sleep",
            "55d0a0002000-55d0a0006000 r-xp 00002000 fd:01 131 /usr/bin/sleep",
            "55d0a1000000-55d0a1021000 rw-p 00000000 00:00 0          [heap]",
            "7f1c2a000000-7f1c2a028000 r--p 00000000 fd:01 2048       " + Libc,
            "7f1c2a028000-7f1c2a1bd000 r-xp 00028000 fd:01 2048       " + Libc,
            "7f1c2a1bd000-7f1c2a215000 r--p 001bd000 fd:01 2048       " + Libc,
            "7f1c2a300000-7f1c2a301000 rw-s 00000000 00:01 4096       /memfd:shared (deleted)",
            "7ffd1c3f0000-7ffd1c3f2000 r-xp 00000000 00:00 0          [vdso]",
            "garbage line",
            "7f1c2b000000-7f1c2b001000 r-xp 00000000 103:02 77 /opt/with space/lib.so",
            "");
        var bytes = Encoding.UTF8.GetBytes(maps);
        var parser = new MapsParser();
        parser.Parse(bytes);

        Assert.Equal(4, parser.Modules.Count);
        var libc = parser.Modules.Single(m => m.Inode == 2048);
        Assert.Equal((0xfdUL << 32) | 1, libc.Device);
        Assert.Equal(0x7f1c2a000000UL, libc.BaseAddress);
        Assert.True(libc.Executable);
        Assert.Equal(0x7f1c2a028000UL, libc.RangeStart);
        Assert.Equal(0x7f1c2a1bd000UL, libc.RangeEnd);
        Assert.Equal(Libc, Encoding.UTF8.GetString(bytes, libc.PathStart, libc.PathLength));
        Assert.False(parser.Modules.Single(m => m.Inode == 4096).Executable);
        var spaced = parser.Modules.Single(m => m.Inode == 77);
        Assert.Equal((0x103UL << 32) | 2, spaced.Device);
        Assert.Equal("/opt/with space/lib.so", Encoding.UTF8.GetString(bytes, spaced.PathStart, spaced.PathLength));
    }

    [Fact]
    public void Maps_RandomBytes_NeverThrow()
    {
        var random = new Random(7);
        var parser = new MapsParser();
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            parser.Parse(bytes);
            var line = Encoding.UTF8.GetBytes("7f1c2a000000-7f1c2a028000 r-xp 00000000 fd:01 2048 /lib/x.so");
            parser.Parse(line.AsSpan(0, random.Next(0, line.Length)));
        }
    }

    [Theory]
    [InlineData("42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100", 12345, 4194560u)]
    [InlineData("7 (kworker/0:1) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n", 99, 69238880u)]
    public void StatSpan_ReadsStartTicksAndFlags(string stat, long ticks, uint flags)
    {
        Assert.True(StatSpan.TryParse(Encoding.UTF8.GetBytes(stat), out var parsedTicks, out var parsedFlags));
        Assert.Equal(ticks, parsedTicks);
        Assert.Equal(flags, parsedFlags);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42 (x")]
    [InlineData("42 (x) S 1 2 3")]
    [InlineData("42 (x) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 later")]
    public void Stat_Malformed_IsRejected(string stat)
    {
        Assert.False(StatSpan.TryParse(Encoding.UTF8.GetBytes(stat), out _, out _));
        Assert.Null(ProcFs.ParseStat(stat));
    }

    [Fact]
    public void Stat_MalformedFieldsEachParserReads_AreRejected()
    {
        Assert.False(StatSpan.TryParse("42 (x) S 1 42 42 0 -1 flags 100 0 0 0 1 2 0 0 20 0 1 0 12345"u8, out _, out _));
        Assert.Null(ProcFs.ParseStat("42 (x) S one 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345"));
        Assert.Null(ProcFs.ParseStat("42 (x)  1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345"));
        Assert.Null(ProcFs.ParseStat("(x) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345"));
    }

    [Fact]
    public void Stat_RandomBytes_NeverThrow()
    {
        var random = new Random(11);
        var valid = "42 (a b) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100"u8.ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])valid.Clone();
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            var cut = bytes.AsSpan(0, random.Next(bytes.Length + 1));
            StatSpan.TryParse(cut, out _, out _);
            ProcFs.ParseStat(cut);
        }
    }

    [Fact]
    public void ParseStat_KeepsTheFieldsTheTableUses()
    {
        var stat = ProcFs.ParseStat("42 (my (odd) name) S 7 42 40 34817 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100\n");
        Assert.NotNull(stat);
        Assert.Equal(new ProcStat(42, "my (odd) name", 'S', 7, 42, 40, 34817, 12345), stat);
    }

    [Theory]
    [InlineData("0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("12:memory:/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\n", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210")]
    [InlineData("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("0::/user.slice/user-1000.slice/session-3.scope\n", "")]
    [InlineData("4:memory:/process_api/afcc4f4fa23f175682cb9ed505c2cac2\n", "")]
    [InlineData("0::/x/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\n", "")]
    public void ContainerId_FromCgroupPaths(string cgroup, string expected) =>
        Assert.Equal(expected, ContainerIds.Find(Encoding.ASCII.GetBytes(cgroup)));

    [Fact]
    public void Acl_InGetfaclShortForm()
    {
        // version 2; user::rwx, user:1000:r-x, group::r--, mask::r-x, other::---
        byte[] value =
        [
            2, 0, 0, 0,
            0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
            0x02, 0, 5, 0, 0xe8, 0x03, 0, 0,
            0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
            0x10, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
            0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
        ];
        Assert.Equal("user::rwx,user:alice:r-x,group::r--,mask::r-x,other::---", PosixAcl.ToText(value, userName: id => id == 1000 ? "alice" : null, groupName: _ => null));
        Assert.Null(PosixAcl.ToText(value.AsSpan(0, 7), userName: _ => null, groupName: _ => null));
        Assert.Null(PosixAcl.ToText([1, 0, 0, 0], userName: _ => null, groupName: _ => null));
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData((136 << 8) | 3, "pts/3")]
    [InlineData((137 << 8) | 1, "pts/257")]
    [InlineData((136 << 8) | (0x1 << 20) | 4, "pts/260")]
    public void Tty_FromTtyNumber(int ttyNumber, string expected) =>
        Assert.Equal(expected, new TtyNames().NameOf(ttyNumber));

    [Fact]
    public void Tty_OtherDevices_ByTheirSysfsName()
    {
        using var dir = new Osprey.Testing.Paths.TempDirectory("osprey-tty");
        Directory.CreateDirectory(Path.Combine(dir.Path, "4:1"));
        File.WriteAllText(Path.Combine(dir.Path, "4:1", "uevent"), "MAJOR=4\nMINOR=1\nDEVNAME=tty1\n");
        var names = new TtyNames(dir.Path);
        Assert.Equal("tty1", names.NameOf((4 << 8) | 1));
        Assert.Equal("char/4:2", names.NameOf((4 << 8) | 2));
    }

    [Fact]
    public void AccountTypes_FollowLoginDefs()
    {
        using var dir = new Osprey.Testing.Paths.TempDirectory("osprey-logindefs");
        var defs = Path.Combine(dir.Path, "login.defs");
        File.WriteAllText(defs, "# comment\nUID_MIN\t\t\t 500\nUID_MAX   6000\n");
        var types = new AccountTypes(defs);
        Assert.Equal("root", types.Of(0));
        Assert.Equal("system", types.Of(499));
        Assert.Equal("regular", types.Of(500));
        Assert.Equal("system", types.Of(6001));
        Assert.Equal("system", types.Of(65534));
    }

    [Fact]
    public void Options_Defaults_AreValid_AndNonsenseIsRejected()
    {
        Assert.Empty(new ProcessSensorOptions().Validate());
        var bad = new ProcessSensorOptions { QueueCapacity = 1, ReaderRealTimePriority = 100, ModuleScanDelays = [TimeSpan.FromHours(1)] };
        Assert.Equal(3, bad.Validate().Count);
    }
}
