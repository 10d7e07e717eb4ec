using Osprey.Agent.Sensors;
using Osprey.Agent.Sensors.Files;

namespace Osprey.Agent.Tests.Sensors.Files;

public sealed class WatchPlanTests
{
    private const string MountInfo = """
        22 27 0:21 / /proc rw,relatime - proc proc rw
        23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
        24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=123k
        25 24 0:23 / /dev/shm rw,relatime shared:3 - tmpfs tmpfs rw
        27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        30 27 254:16 / /home rw,relatime shared:7 - xfs /dev/vdb rw
        31 27 254:16 /alice/shared /srv/shared\040files rw,relatime - xfs /dev/vdb rw
        32 27 0:40 / /mnt/nfs rw,relatime - nfs4 server:/export rw
        33 27 0:41 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw,lowerdir=/a
        34 27 0:42 / /tmp/x rw - tmpfs osprey-test rw
        35 27 0:43 / /media/usb rw - vfat /dev/sdb1 rw
        36 27 0:44 / /media/usb rw - exfat /dev/sdc1 rw
        garbage line
        """;

    private static WatchPlan Plan(string[] paths, params string[] excluded) =>
        WatchPlan.For(MountEntry.ParseAll(MountInfo), new PathFilter(paths, excluded));

    [Fact]
    public void ParsesFields_AndUnescapesOctalInPaths()
    {
        var mounts = MountEntry.ParseAll(MountInfo);
        Assert.Equal(12, mounts.Count);
        var shared = Assert.Single(mounts, m => m.MountId == 31);
        Assert.Equal("/srv/shared files", shared.MountPoint);
        Assert.Equal("/alice/shared", shared.Root);
        Assert.Equal((254u, 16u), shared.Device);
        Assert.Equal("xfs", shared.FsType);
        Assert.Equal("tmpfs", Assert.Single(mounts, m => m.MountId == 25).FsType);
    }

    [Fact]
    public void Root_WatchesEveryLocalFilesystemOnce_AndSkipsPseudoNetworkOverlayAndExcluded()
    {
        var plan = Plan(["/"], "/proc", "/sys", "/dev");

        Assert.Equal(["/", "/home", "/tmp/x", "/media/usb"], plan.Filesystems.Select(f => f.Mounts[0].MountPoint));
        // The bind mount of a subtree is a second way into the same filesystem, tried after the whole one.
        Assert.Equal(["/home", "/srv/shared files"], plan.Filesystems[1].Mounts.Select(m => m.MountPoint));
        // The later of two mounts on one mount point is the visible one.
        Assert.Equal("exfat", plan.Filesystems[3].FsType);
        var skipped = plan.Skipped.ToDictionary(s => s.Mount.MountPoint, s => s.Reason);
        Assert.Contains("excluded", skipped["/proc"], StringComparison.Ordinal);
        Assert.Contains("excluded", skipped["/dev/shm"], StringComparison.Ordinal);
        Assert.Contains("nfs4", skipped["/mnt/nfs"], StringComparison.Ordinal);
        Assert.Contains("overlay", skipped["/var/lib/docker/overlay2/abc/merged"], StringComparison.Ordinal);
    }

    [Fact]
    public void APathOnItsOwnMount_WatchesOnlyThatFilesystem()
    {
        Assert.Equal(["/tmp/x"], Plan(["/tmp/x/sub"]).Filesystems.Select(f => f.Mounts[0].MountPoint));
        Assert.Equal(["/"], Plan(["/etc"]).Filesystems.Select(f => f.Mounts[0].MountPoint));
        Assert.Equal(["/", "/home"], Plan(["/etc", "/home/alice"]).Filesystems.Select(f => f.Mounts[0].MountPoint));
        Assert.Empty(Plan(["/proc/self"]).Filesystems);
    }

    [Theory]
    [InlineData("/tmp/a", "/tmp/a", true)]
    [InlineData("/tmp/a/b", "/tmp/a", true)]
    [InlineData("/tmp/ab", "/tmp/a", false)]
    [InlineData("/tmp", "/tmp/a", false)]
    [InlineData("/anything", "/", true)]
    public void IsUnder_ComparesWholeComponents(string path, string root, bool expected) =>
        Assert.Equal(expected, PathFilter.IsUnder(path, root));

    [Fact]
    public void Filter_IncludesConfiguredPaths_MinusExcludedOnes()
    {
        var filter = new PathFilter(["/home/", "/etc"], ["/home/alice/.cache", "/etc/ssl/"]);
        Assert.True(filter.Includes("/home/alice/notes.txt"));
        Assert.True(filter.Includes("/etc/passwd"));
        Assert.False(filter.Includes("/home/alice/.cache/x"));
        Assert.False(filter.Includes("/etc/ssl"));
        Assert.False(filter.Includes("/var/log/syslog"));
        Assert.True(filter.Includes("/etc/ssl.conf"));
    }

    [Fact]
    public void PosixAcl_IsWrittenLikeGetfacl_AndGarbageIsRefused()
    {
        byte[] acl = [2, 0, 0, 0, 1, 0, 6, 0, 255, 255, 255, 255, 2, 0, 4, 0, 232, 3, 0, 0, 4, 0, 5, 0, 255, 255, 255, 255, 0x10, 0, 5, 0, 255, 255, 255, 255, 0x20, 0, 0, 0, 255, 255, 255, 255];
        Assert.Equal("user::rw-,user:1000:r--,group::r-x,mask::r-x,other::---", PosixAcl.ToText(acl));
        Assert.Equal("default:user::rw-", PosixAcl.ToText(acl.AsSpan(0, 12), "default:"));
        Assert.Null(PosixAcl.ToText(acl.AsSpan(0, 10)));
        Assert.Null(PosixAcl.ToText([1, 0, 0, 0]));
        Assert.Null(PosixAcl.ToText([2, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0]));
    }
}
