using System.Text;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class DeviceSensorTests
{
    private static byte[] Datagram(string text) => Encoding.UTF8.GetBytes(text.Replace('|', '\0'));

    [Fact]
    public void KernelUsbUevent_IsParsedWithItsProperties()
    {
        var ok = UeventParser.TryParse(
            Datagram("add@/devices/pci0000:00/0000:00:14.0/usb1/1-2|ACTION=add|DEVPATH=/devices/pci0000:00/0000:00:14.0/usb1/1-2|SUBSYSTEM=usb|MAJOR=189|MINOR=1|DEVNAME=bus/usb/001/002|DEVTYPE=usb_device|PRODUCT=951/1666/110|TYPE=0/0/0|BUSNUM=001|DEVNUM=002|SEQNUM=4242|"),
            out var m);
        Assert.True(ok);
        Assert.Equal("add", m!.Action);
        Assert.Equal("/devices/pci0000:00/0000:00:14.0/usb1/1-2", m.DevPath);
        Assert.Equal("usb", m.Subsystem);
        Assert.Equal("usb_device", m.DevType);
        Assert.Equal("bus/usb/001/002", m.DevName);
        Assert.Equal("951/1666/110", m["PRODUCT"]);
        Assert.Equal(DeviceKind.Usb, SysfsDevices.Classify(m));
    }

    [Fact]
    public void UsbDeviceWithoutSysfs_TakesItsIdsFromTheUevent()
    {
        using var sys = new TempDirectory("osprey-sysfs");
        Assert.True(UeventParser.TryParse(Datagram("remove@/devices/usb1/1-2|ACTION=remove|DEVPATH=/devices/usb1/1-2|SUBSYSTEM=usb|DEVNAME=bus/usb/001/002|DEVTYPE=usb_device|PRODUCT=951/1666/110|"), out var m));
        var device = new SysfsDevices(sys.Path).Describe(m!, DeviceKind.Usb)!;
        Assert.Equal("0951", device.VendorId);
        Assert.Equal("1666", device.ProductId);
        Assert.Equal("0951:1666@1-2", device.DeviceId);
        Assert.Equal("/dev/bus/usb/001/002", device.DeviceNode);
        Assert.Equal("usb", device.Bus);
    }

    [Fact]
    public void UsbDeviceInSysfs_IsDescribedFromItsAttributesAndInterfaces()
    {
        using var sys = new TempDirectory("osprey-sysfs");
        var dir = Path.Join(sys.Path, "devices/pci0000:00/usb1/1-2");
        Directory.CreateDirectory(Path.Join(dir, "1-2:1.0"));
        File.WriteAllText(Path.Join(dir, "idVendor"), "0951\n");
        File.WriteAllText(Path.Join(dir, "idProduct"), "1666\n");
        File.WriteAllText(Path.Join(dir, "manufacturer"), "Kingston\n");
        File.WriteAllText(Path.Join(dir, "product"), "DataTraveler 3.0\n");
        File.WriteAllText(Path.Join(dir, "serial"), "E0D55EA574D1F4B0C8A6001F\n");
        File.WriteAllText(Path.Join(dir, "bDeviceClass"), "00\n");
        File.WriteAllText(Path.Join(dir, "1-2:1.0", "bInterfaceClass"), "08\n");
        Assert.True(UeventParser.TryParse(Datagram("add@/devices/pci0000:00/usb1/1-2|ACTION=add|DEVPATH=/devices/pci0000:00/usb1/1-2|SUBSYSTEM=usb|DEVNAME=bus/usb/001/005|DEVTYPE=usb_device|PRODUCT=951/1666/110|"), out var m));

        var device = new SysfsDevices(sys.Path).Describe(m!, DeviceKind.Usb)!;

        Assert.Equal("usb-storage", device.DeviceType);
        Assert.Equal("E0D55EA574D1F4B0C8A6001F", device.DeviceId);
        Assert.Equal("Kingston DataTraveler 3.0", device.Name);
        Assert.Equal("Kingston", device.Vendor);
        Assert.Equal("DataTraveler 3.0", device.Product);
        Assert.Equal("/devices/pci0000:00/usb1/1-2", device.DevicePath);
    }

    [Fact]
    public void UsbDiskInSysfs_TakesVendorAndSerialFromItsUsbAncestor()
    {
        using var sys = new TempDirectory("osprey-sysfs");
        var usb = Path.Join(sys.Path, "devices/pci0000:00/usb2/2-1");
        var disk = Path.Join(usb, "2-1:1.0/host0/target0:0:0/0:0:0:0/block/sdb");
        Directory.CreateDirectory(Path.Join(disk, "device"));
        File.WriteAllText(Path.Join(usb, "idVendor"), "0781\n");
        File.WriteAllText(Path.Join(usb, "idProduct"), "5581\n");
        File.WriteAllText(Path.Join(usb, "manufacturer"), "SanDisk\n");
        File.WriteAllText(Path.Join(usb, "product"), "Ultra\n");
        File.WriteAllText(Path.Join(usb, "serial"), "4C530001\n");
        File.WriteAllText(Path.Join(disk, "removable"), "1\n");
        File.WriteAllText(Path.Join(disk, "device", "vendor"), "SanDisk \n");
        File.WriteAllText(Path.Join(disk, "device", "model"), "Ultra           \n");
        var devPath = disk[sys.Path.Length..];
        Assert.True(UeventParser.TryParse(Datagram($"add@{devPath}|ACTION=add|DEVPATH={devPath}|SUBSYSTEM=block|MAJOR=8|MINOR=16|DEVNAME=sdb|DEVTYPE=disk|"), out var m));
        Assert.Equal(DeviceKind.ExternalDisk, SysfsDevices.Classify(m!));

        var device = new SysfsDevices(sys.Path).Describe(m!, DeviceKind.ExternalDisk)!;

        Assert.Equal("usb-storage", device.DeviceType);
        Assert.Equal("4C530001", device.DeviceId);
        Assert.Equal("SanDisk Ultra", device.Name);
        Assert.Equal("/dev/sdb", device.DeviceNode);
        Assert.Equal(("0781", "5581"), (device.VendorId, device.ProductId));
        Assert.Equal(("SanDisk", "Ultra"), (device.Vendor, device.Product));
        Assert.Equal("usb", device.Bus);
    }

    [Fact]
    public void FixedDisk_IsNotAnExternalDevice()
    {
        using var sys = new TempDirectory("osprey-sysfs");
        var disk = Path.Join(sys.Path, "devices/pci0000:00/0000:00:02.0/virtio1/block/vda");
        Directory.CreateDirectory(disk);
        File.WriteAllText(Path.Join(disk, "removable"), "0\n");
        var devPath = disk[sys.Path.Length..];
        Assert.True(UeventParser.TryParse(Datagram($"add@{devPath}|ACTION=add|DEVPATH={devPath}|SUBSYSTEM=block|DEVNAME=vda|DEVTYPE=disk|"), out var m));
        Assert.Null(new SysfsDevices(sys.Path).Describe(m!, SysfsDevices.Classify(m!)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("|||")]
    [InlineData("add@/devices/x")]
    [InlineData("add@/devices/x|ACTION=add|DEVPATH=/devices/x|")]
    [InlineData("add@/devices/x|ACTION=add|SUBSYSTEM=usb|")]
    [InlineData("@/devices/x|ACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|")]
    [InlineData("add@|ACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|")]
    [InlineData("add@/devices/x|ACTION=remove|DEVPATH=/devices/x|SUBSYSTEM=usb|")]
    [InlineData("add@/devices/x|ACTION=add|DEVPATH=/devices/y|SUBSYSTEM=usb|")]
    [InlineData("add@/devices/../../etc|ACTION=add|DEVPATH=/devices/../../etc|SUBSYSTEM=usb|")]
    [InlineData("add@/devices/x|ACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|NOEQUALS|")]
    [InlineData("add@/devices/x|ACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|=value|")]
    [InlineData("libudev|\u00fe\u00ed\u00ca\u00feACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|")]
    public void MalformedUevent_IsRejected(string text) => Assert.False(UeventParser.TryParse(Datagram(text), out _));

    [Fact]
    public void UeventWithTooManyProperties_IsRejected()
    {
        var text = new StringBuilder("add@/devices/x|ACTION=add|DEVPATH=/devices/x|SUBSYSTEM=usb|");
        for (var i = 0; i < UeventParser.MaxProperties; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"K{i}=v|");
        }
        Assert.False(UeventParser.TryParse(Datagram(text.ToString()), out _));
        Assert.False(UeventParser.TryParse(new byte[UeventParser.MaxBytes + 1], out _));
    }

    [Fact]
    public void UeventWithoutTrailingNul_IsStillParsed()
    {
        Assert.True(UeventParser.TryParse(Datagram("change@/devices/virtual/block/loop3|ACTION=change|DEVPATH=/devices/virtual/block/loop3|SUBSYSTEM=block|DEVTYPE=disk|DEVNAME=loop3"), out var m));
        Assert.Equal("loop3", m!.DevName);
        Assert.Equal(DeviceKind.Loop, SysfsDevices.Classify(m));
    }

    [Fact]
    public async Task LoopDeviceAttachAndDetach_AreReportedAsConnectAndDisconnect()
    {
        HostCommands.RequireRoot("it attaches a loop device");
        using var dir = new TempDirectory("osprey-device");
        var image = Path.Join(dir.Path, "disk.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(4 << 20);
        }
        await using var h = new SensorHarness(new DeviceSensor());
        await h.StartAsync();

        var loop = await HostCommands.RunAsync("losetup", "-f", "--show", image);
        var name = Path.GetFileName(loop);
        var status = Osprey.Agent.Interop.Libc.Stat(image, true, out _)!;
        Event connected;
        try
        {
            connected = await h.WaitForAsync(e => e.DeviceConnect is { Operation: DeviceOperation.Connected } d && d.DeviceNode == loop && d.Name == image, what: "loop attach");
            Assert.Equal(EventType.DeviceConnect, connected.Type);
            Assert.Equal("loop", connected.DeviceConnect.DeviceType);
            Assert.Equal(image, connected.DeviceConnect.Name);
            Assert.Equal($"/devices/virtual/block/{name}", connected.DeviceConnect.DevicePath);
            Assert.Equal($"{status.Device >> 32}:{status.Device & 0xffffffff}:{status.Inode}", connected.DeviceConnect.DeviceId);
            Assert.Equal(File.ReadAllText($"/sys/block/{name}/loop/backing_file").Trim(), connected.DeviceConnect.Name);
            Assert.Equal("virtual", connected.DeviceConnect.Bus);
        }
        finally
        {
            await HostCommands.TryRunAsync("losetup", "-d", loop);
        }
        // Other tests reuse loop devices at the same time: the image names this test's attachment.
        var disconnected = await h.WaitForAsync(e => e.DeviceConnect is { Operation: DeviceOperation.Disconnected } d && d.Name == image, what: "loop detach");
        Assert.Equal(loop, disconnected.DeviceConnect.DeviceNode);
        Assert.Equal(connected.DeviceConnect.DeviceId, disconnected.DeviceConnect.DeviceId);
        Assert.Single(h.Events, e => e.DeviceConnect is { Operation: DeviceOperation.Connected } d && d.Name == image);
    }

    [Fact]
    public async Task LoopAttachedBeforeStart_IsKnownFromTheSnapshotAndReportedWhenDetached()
    {
        HostCommands.RequireRoot("it attaches a loop device");
        using var dir = new TempDirectory("osprey-device");
        var image = Path.Join(dir.Path, "before.img");
        await using (var file = File.Create(image))
        {
            file.SetLength(4 << 20);
        }
        var loop = await HostCommands.RunAsync("losetup", "-f", "--show", image);
        try
        {
            await using var h = new SensorHarness(new DeviceSensor());
            await h.StartAsync();
            Assert.DoesNotContain(h.Events, e => e.DeviceConnect?.Name == image);
            await HostCommands.RunAsync("losetup", "-d", loop);
            var disconnected = await h.WaitForAsync(e => e.DeviceConnect is { Operation: DeviceOperation.Disconnected } d && d.Name == image, what: "loop detach");
            Assert.Equal(loop, disconnected.DeviceConnect.DeviceNode);
            Assert.DoesNotContain(h.Events, e => e.DeviceConnect is { Operation: DeviceOperation.Connected } d && d.Name == image);
        }
        finally
        {
            await HostCommands.TryRunAsync("losetup", "-d", loop);
        }
    }
}
