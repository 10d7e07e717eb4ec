using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Classifies uevents and describes devices from sysfs (vendor and product IDs and names, serial, bus), and
/// lists the devices present now so a start or a lost-message rescan can be compared with what was known.
/// </summary>
internal sealed class SysfsDevices(string sysRoot)
{
    private const int MaxAttributeBytes = 4096;
    private const int MaxListed = 4096;
    private const int MaxAncestors = 24;

    /// <summary>USB interface classes by how telling they are: a stick with a HID interface is still storage.</summary>
    private static readonly (string Class, string Type)[] InterfaceTypes =
    [
        ("08", "usb-storage"), ("e0", "bluetooth"), ("02", "network"), ("0a", "network"), ("03", "hid"), ("0e", "video"),
        ("01", "audio"), ("06", "imaging"), ("07", "printer"), ("0b", "smart-card"), ("09", "usb-hub"),
    ];

    private static readonly string[] ExternalBuses = ["/usb", "/mmc", "/firewire", "/memstick"];

    public static DeviceKind Classify(UeventMessage m) => m.Subsystem switch
    {
        "usb" when m.DevType == "usb_device" => DeviceKind.Usb,
        "thunderbolt" when m.DevType == "thunderbolt_device" => DeviceKind.Thunderbolt,
        "block" when m.DevType == "disk" && m.DevPath.StartsWith("/devices/virtual/block/loop", StringComparison.Ordinal) => DeviceKind.Loop,
        "block" when m.DevType == "disk" && !m.DevPath.StartsWith("/devices/virtual/", StringComparison.Ordinal) => DeviceKind.ExternalDisk,
        _ => DeviceKind.None,
    };

    /// <summary>
    /// The device as an event payload without its operation, or null when it is not external after all (a fixed
    /// disk) or, for a loop device, when no image is attached.
    /// </summary>
    public DeviceConnectEvent? Describe(UeventMessage m, DeviceKind kind)
    {
        var dir = SysPath(m.DevPath);
        return kind switch
        {
            DeviceKind.Usb => DescribeUsb(m, dir),
            DeviceKind.ExternalDisk => DescribeDisk(m, dir),
            DeviceKind.Loop => DescribeLoop(m, dir),
            DeviceKind.Thunderbolt => DescribeThunderbolt(m, dir),
            _ => null,
        };
    }

    /// <summary>The external devices present now, as "add" messages built from their sysfs uevent files.</summary>
    public List<UeventMessage> Snapshot()
    {
        var found = new List<UeventMessage>();
        AddFrom(Path.Join(sysRoot, "bus/usb/devices"), "usb", found);
        AddFrom(Path.Join(sysRoot, "class/block"), "block", found);
        AddFrom(Path.Join(sysRoot, "bus/thunderbolt/devices"), "thunderbolt", found);
        return found;
    }

    private void AddFrom(string directory, string subsystem, List<UeventMessage> found)
    {
        IEnumerable<string> links;
        try
        {
            links = Directory.EnumerateFileSystemEntries(directory).Take(MaxListed).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var link in links)
        {
            var real = Resolve(link);
            if (real is null || !real.StartsWith(sysRoot + "/", StringComparison.Ordinal))
            {
                continue;
            }
            var uevent = ReadBytes(Path.Join(real, "uevent"));
            if (uevent is not null && UeventParser.TryParseSysfs(uevent, real[sysRoot.Length..], subsystem, out var message) && Classify(message!) != DeviceKind.None)
            {
                found.Add(message!);
            }
        }
    }

    private DeviceConnectEvent DescribeUsb(UeventMessage m, string dir)
    {
        var (vendorId, productId) = UsbIds(m, dir);
        var vendor = Attribute(dir, "manufacturer");
        var product = Attribute(dir, "product");
        var serial = Attribute(dir, "serial");
        var port = Path.GetFileName(m.DevPath);
        return new DeviceConnectEvent
        {
            DeviceType = UsbType(dir, Attribute(dir, "bDeviceClass")),
            DeviceId = serial.Length > 0 ? serial : $"{vendorId}:{productId}@{port}",
            Name = Join(vendor, product) is { Length: > 0 } n ? n : $"USB device {vendorId}:{productId}",
            DevicePath = m.DevPath,
            DeviceNode = Node(m),
            VendorId = vendorId,
            ProductId = productId,
            Vendor = vendor,
            Product = product,
            Bus = "usb",
        };
    }

    private DeviceConnectEvent? DescribeDisk(UeventMessage m, string dir)
    {
        var usb = UsbAncestor(dir);
        var onExternalBus = ExternalBuses.Any(b => m.DevPath.Contains(b, StringComparison.Ordinal));
        var removable = Attribute(dir, "removable") == "1";
        if (!onExternalBus && !removable)
        {
            return null;
        }
        var device = Path.Join(dir, "device");
        var model = Join(Attribute(device, "vendor"), Attribute(device, "model"));
        var e = new DeviceConnectEvent
        {
            DeviceType = usb is not null ? "usb-storage" : Attribute(device, "type") == "5" ? "optical" : "block",
            Name = model.Length > 0 ? model : Attribute(device, "name") is { Length: > 0 } mmc ? mmc : m.DevName,
            DevicePath = m.DevPath,
            DeviceNode = Node(m),
            Bus = usb is not null ? "usb" : m.DevPath.Contains("/mmc", StringComparison.Ordinal) ? "mmc" : LinkName(Path.Join(device, "subsystem")),
        };
        if (usb is not null)
        {
            (e.VendorId, e.ProductId) = UsbIds(null, usb);
            e.Vendor = Attribute(usb, "manufacturer");
            e.Product = Attribute(usb, "product");
        }
        var serial = usb is not null ? Attribute(usb, "serial") : "";
        e.DeviceId = serial.Length > 0 ? serial
            : Attribute(device, "serial") is { Length: > 0 } cardSerial ? cardSerial
            : Attribute(device, "wwid") is { Length: > 0 } wwid ? wwid
            : m.DevPath;
        return e;
    }

    private DeviceConnectEvent? DescribeLoop(UeventMessage m, string dir)
    {
        var backing = Attribute(Path.Join(dir, "loop"), "backing_file");
        if (backing.Length == 0)
        {
            return null;
        }
        // The image's identity survives a rename; the path is what an analyst reads.
        var file = backing.EndsWith(" (deleted)", StringComparison.Ordinal) ? backing[..^" (deleted)".Length] : backing;
        var status = Libc.Stat(file, followLinks: true, out _);
        return new DeviceConnectEvent
        {
            DeviceType = "loop",
            DeviceId = status is null ? backing : string.Create(CultureInfo.InvariantCulture, $"{status.Device >> 32}:{status.Device & 0xffffffff}:{status.Inode}"),
            Name = backing,
            DevicePath = m.DevPath,
            DeviceNode = Node(m),
            Bus = "virtual",
        };
    }

    private DeviceConnectEvent DescribeThunderbolt(UeventMessage m, string dir)
    {
        var vendor = Attribute(dir, "vendor_name");
        var product = Attribute(dir, "device_name");
        var uniqueId = Attribute(dir, "unique_id");
        return new DeviceConnectEvent
        {
            DeviceType = "thunderbolt",
            DeviceId = uniqueId.Length > 0 ? uniqueId : m.DevPath,
            Name = Join(vendor, product) is { Length: > 0 } n ? n : Path.GetFileName(m.DevPath),
            DevicePath = m.DevPath,
            DeviceNode = Node(m),
            VendorId = Hex4(Attribute(dir, "vendor")),
            ProductId = Hex4(Attribute(dir, "device")),
            Vendor = vendor,
            Product = product,
            Bus = "thunderbolt",
        };
    }

    private string UsbType(string dir, string deviceClass)
    {
        if (deviceClass is "09")
        {
            return "usb-hub";
        }
        var classes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var sub in Directory.EnumerateDirectories(dir, "*:*").Take(64))
            {
                classes.Add(Attribute(sub, "bInterfaceClass"));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        classes.Add(deviceClass);
        foreach (var (cls, type) in InterfaceTypes)
        {
            if (classes.Contains(cls))
            {
                return type;
            }
        }
        return "usb";
    }

    /// <summary>idVendor and idProduct from sysfs, or the uevent's PRODUCT=vid/pid/bcd (hex without padding) when sysfs is gone.</summary>
    private (string VendorId, string ProductId) UsbIds(UeventMessage? m, string dir)
    {
        var vendorId = Attribute(dir, "idVendor");
        var productId = Attribute(dir, "idProduct");
        if ((vendorId.Length == 0 || productId.Length == 0) && m?["PRODUCT"] is { } product && product.Split('/') is [var v, var p, ..])
        {
            vendorId = Hex4(v);
            productId = Hex4(p);
        }
        return (vendorId, productId);
    }

    private string? UsbAncestor(string dir)
    {
        var devices = Path.Join(sysRoot, "devices");
        var current = dir;
        for (var i = 0; i < MaxAncestors && current is not null && current.StartsWith(devices + "/", StringComparison.Ordinal); i++)
        {
            if (File.Exists(Path.Join(current, "idVendor")))
            {
                return current;
            }
            current = Path.GetDirectoryName(current);
        }
        return null;
    }

    private string SysPath(string devPath) => sysRoot + devPath;

    private static string Node(UeventMessage m) => m.DevName.Length > 0 ? "/dev/" + m.DevName : "";

    private static string Join(string a, string b) => $"{a} {b}".Trim();

    private static string Hex4(string hex) =>
        int.TryParse(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v)
            ? v.ToString("x4", CultureInfo.InvariantCulture) : hex;

    private static string? Resolve(string link)
    {
        try
        {
            return new DirectoryInfo(link).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? link;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string LinkName(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget is { } target ? Path.GetFileName(target) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>A sysfs attribute, trimmed; empty when it does not exist or cannot be read.</summary>
    internal static string Attribute(string dir, string name) =>
        ReadBytes(Path.Join(dir, name)) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes).Trim() : "";

    private static byte[]? ReadBytes(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[MaxAttributeBytes];
            var n = RandomAccess.Read(handle, buffer, 0);
            return buffer[..n];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
