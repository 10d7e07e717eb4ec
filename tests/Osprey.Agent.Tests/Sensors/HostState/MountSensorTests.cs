using System.Text;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class MountSensorTests
{
    [Fact]
    public async Task TmpfsMountAndUnmount_AreReportedWithSourceTypeAndOptions()
    {
        HostCommands.RequireRoot("it mounts a tmpfs");
        using var dir = new TempDirectory("osprey-mount");
        // A space in the mount point exercises the kernel's \040 escape.
        var point = Path.Join(dir.Path, "mount point");
        Directory.CreateDirectory(point);
        await using var h = new SensorHarness(new MountSensor());
        await h.StartAsync();

        await HostCommands.RunAsync("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700,nosuid", "osprey-test-src", point);
        string[] expectedOptions;
        try
        {
            var mounted = await h.WaitForAsync(e => e.VolumeMount is { Operation: MountOperation.Mounted } m && m.MountPoint == point, what: "tmpfs mount");
            var findmnt = await HostCommands.RunAsync("findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "--mountpoint", point);
            var columns = findmnt.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("osprey-test-src", mounted.VolumeMount.Source);
            Assert.Equal(columns[0], mounted.VolumeMount.Source);
            Assert.Equal("tmpfs", mounted.VolumeMount.FsType);
            Assert.Equal(columns[1], mounted.VolumeMount.FsType);
            expectedOptions = columns[2].Split(',');
            Assert.Equal(expectedOptions.Order(), mounted.VolumeMount.Options.Order());
            Assert.Contains("nosuid", mounted.VolumeMount.Options);
            Assert.Contains("size=1024k", mounted.VolumeMount.Options);
            Assert.Equal(EventType.VolumeMount, mounted.Type);
            Assert.InRange(mounted.TimeUs, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds() * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        }
        finally
        {
            await HostCommands.TryRunAsync("umount", point);
        }

        var unmounted = await h.WaitForAsync(e => e.VolumeMount is { Operation: MountOperation.Unmounted } m && m.MountPoint == point, what: "tmpfs unmount");
        Assert.Equal("osprey-test-src", unmounted.VolumeMount.Source);
        Assert.Equal("tmpfs", unmounted.VolumeMount.FsType);
        Assert.Equal(expectedOptions.Order(), unmounted.VolumeMount.Options.Order());
        Assert.Single(h.Events, e => e.VolumeMount is { } m && m.MountPoint == point && m.Operation == MountOperation.Mounted);
    }

    [Fact]
    public async Task Ext4ImageMountedThroughALoopDevice_CarriesTheLabelAndUuidBlkidReports()
    {
        HostCommands.RequireRoot("it attaches a loop device and mounts it");
        using var dir = new TempDirectory("osprey-mount");
        var image = Path.Join(dir.Path, "volume.img");
        var point = Path.Join(dir.Path, "mnt");
        Directory.CreateDirectory(point);
        var uuid = Guid.NewGuid().ToString();
        await using (var file = File.Create(image))
        {
            file.SetLength(8 << 20);
        }
        await HostCommands.RunAsync("mkfs.ext4", "-q", "-F", "-L", "osprey-vol", "-U", uuid, image);
        var loop = await HostCommands.RunAsync("losetup", "-f", "--show", image);
        try
        {
            await using var h = new SensorHarness(new MountSensor());
            await h.StartAsync();
            await HostCommands.RunAsync("mount", "-t", "ext4", loop, point);
            try
            {
                var mounted = await h.WaitForAsync(e => e.VolumeMount is { Operation: MountOperation.Mounted } m && m.MountPoint == point, what: "ext4 mount");
                Assert.Equal(loop, mounted.VolumeMount.Source);
                Assert.Equal("ext4", mounted.VolumeMount.FsType);
                Assert.Equal(await HostCommands.RunAsync("blkid", "-c", "/dev/null", "-s", "LABEL", "-o", "value", loop), mounted.VolumeMount.VolumeLabel);
                Assert.Equal(await HostCommands.RunAsync("blkid", "-c", "/dev/null", "-s", "UUID", "-o", "value", loop), mounted.VolumeMount.VolumeUuid);
                Assert.Equal("osprey-vol", mounted.VolumeMount.VolumeLabel);
                Assert.Equal(uuid, mounted.VolumeMount.VolumeUuid);
            }
            finally
            {
                await HostCommands.TryRunAsync("umount", point);
            }
            var unmounted = await h.WaitForAsync(e => e.VolumeMount is { Operation: MountOperation.Unmounted } m && m.MountPoint == point, what: "ext4 unmount");
            Assert.Equal(uuid, unmounted.VolumeMount.VolumeUuid);
        }
        finally
        {
            await HostCommands.TryRunAsync("losetup", "-d", loop);
        }
    }

    [Fact]
    public async Task UdevByLabelLinks_AreUsedBeforeTheSuperblock()
    {
        HostCommands.RequireRoot("it attaches a loop device and mounts it");
        using var dir = new TempDirectory("osprey-mount");
        var image = Path.Join(dir.Path, "volume.img");
        var point = Path.Join(dir.Path, "mnt");
        var disk = Path.Join(dir.Path, "disk");
        Directory.CreateDirectory(point);
        Directory.CreateDirectory(Path.Join(disk, "by-label"));
        Directory.CreateDirectory(Path.Join(disk, "by-uuid"));
        await using (var file = File.Create(image))
        {
            file.SetLength(8 << 20);
        }
        await HostCommands.RunAsync("mkfs.ext4", "-q", "-F", image);
        var loop = await HostCommands.RunAsync("losetup", "-f", "--show", image);
        try
        {
            // What udev would have created: names with \xHH escapes, relative targets.
            File.CreateSymbolicLink(Path.Join(disk, "by-label", "My\\x20Stick"), "../../../../.." + loop);
            File.CreateSymbolicLink(Path.Join(disk, "by-uuid", "1234-ABCD"), loop);
            await using var h = new SensorHarness(new MountSensor(new MountSensorOptions { DiskDirectory = disk, ProbeSuperblocks = false }));
            await h.StartAsync();
            await HostCommands.RunAsync("mount", "-t", "ext4", "-o", "ro", loop, point);
            try
            {
                var mounted = await h.WaitForAsync(e => e.VolumeMount is { Operation: MountOperation.Mounted } m && m.MountPoint == point, what: "ext4 mount");
                Assert.Equal("My Stick", mounted.VolumeMount.VolumeLabel);
                Assert.Equal("1234-ABCD", mounted.VolumeMount.VolumeUuid);
                Assert.Contains("ro", mounted.VolumeMount.Options);
                Assert.DoesNotContain("rw", mounted.VolumeMount.Options);
            }
            finally
            {
                await HostCommands.TryRunAsync("umount", point);
            }
        }
        finally
        {
            await HostCommands.TryRunAsync("losetup", "-d", loop);
        }
    }

    [Fact]
    public void MountInfoLine_WithOptionalFieldsAndEscapes_IsParsed()
    {
        var entry = MountInfo.ParseLine(@"36 35 98:0 /mnt1 /mnt\040two\011tab\134x rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue");
        Assert.NotNull(entry);
        Assert.Equal(36, entry.Id);
        Assert.Equal(35, entry.ParentId);
        Assert.Equal("98:0", entry.MajorMinor);
        Assert.Equal("/mnt two\ttab\\x", entry.MountPoint);
        Assert.Equal("ext3", entry.FsType);
        Assert.Equal("/dev/root", entry.Source);
        Assert.Equal(["rw", "noatime", "errors=continue"], entry.Options);
    }

    [Theory]
    [InlineData("")]
    [InlineData("36 35 98:0 / /mnt rw")]
    [InlineData("36 35 98:0 / /mnt rw master:1 ext3 /dev/root rw")]
    [InlineData("x 35 98:0 / /mnt rw - ext3 /dev/root rw")]
    [InlineData("36 35 98:0 / /mnt rw -")]
    [InlineData("36 35 98:0 / /mnt rw - ext3")]
    [InlineData("-1 35 98:0 / /mnt rw - ext3 /dev/root rw")]
    public void MalformedMountInfoLine_IsRejected(string line) => Assert.Null(MountInfo.ParseLine(line));

    [Fact]
    public void MountTable_SkipsMalformedLinesAndKeepsTheRest()
    {
        var text = "22 27 0:21 / /proc rw - proc proc rw\ngarbage\n\n23 27 0:22 / /sys rw - sysfs sysfs rw"u8;
        var table = MountInfo.ParseTable(text);
        Assert.Equal([22, 23], table.Keys.Order());
        Assert.Equal("/sys", table[23].MountPoint);
    }

    [Theory]
    [InlineData(@"\04", @"\04")]
    [InlineData(@"a\", @"a\")]
    [InlineData(@"\999", @"\999")]
    [InlineData(@"\040\040", "  ")]
    public void Unescape_LeavesIncompleteEscapesAlone(string raw, string expected) => Assert.Equal(expected, MountInfo.Unescape(raw));

    [Fact]
    public void Fat32BootSector_GivesLabelAndSerial()
    {
        var head = new byte[512];
        Encoding.ASCII.GetBytes("MSDOS5.0").CopyTo(head, 3);
        BitConverter.GetBytes(0x1A2B3C4Du).CopyTo(head, 0x43);
        Encoding.ASCII.GetBytes("USB STICK  ").CopyTo(head, 0x47);
        Encoding.ASCII.GetBytes("FAT32   ").CopyTo(head, 0x52);
        head[510] = 0x55;
        head[511] = 0xAA;
        Assert.Equal(("USB STICK", "1A2B-3C4D"), VolumeProbe.Parse(head));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(1500)]
    public void ShortOrUnknownHead_IsNotRecognised(int length) => Assert.Null(VolumeProbe.Parse(new byte[length]));
}
