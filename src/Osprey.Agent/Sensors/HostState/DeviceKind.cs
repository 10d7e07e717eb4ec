namespace Osprey.Agent.Sensors.HostState;

/// <summary>Which uevents the device sensor reports: devices that can be attached from outside, and loop-attached images.</summary>
public enum DeviceKind
{
    /// <summary>An internal device or a part of one (interface, partition, virtual console…): not reported.</summary>
    None,
    /// <summary>A USB device (not its interfaces).</summary>
    Usb,
    /// <summary>A removable disk or one on an external bus (USB, MMC/SD, FireWire).</summary>
    ExternalDisk,
    /// <summary>A loop block device: an image file attached as a disk.</summary>
    Loop,
    /// <summary>A Thunderbolt device.</summary>
    Thunderbolt,
}
