namespace Osprey.Agent.Sensors.HostState;

/// <summary>Settings of the device sensor.</summary>
public sealed record DeviceSensorOptions
{
    /// <summary>Where sysfs is mounted (device attributes, the device lists for snapshots).</summary>
    public string SysRoot { get; init; } = "/sys";

    /// <summary>Receive buffer asked of the kernel for the uevent socket; a burst beyond it is lost and rescanned.</summary>
    public int ReceiveBufferBytes { get; init; } = 1 << 20;

    /// <summary>
    /// How long a new USB device is held before it is described, so its interfaces (which tell storage from a
    /// keyboard) exist in sysfs; the kernel announces them within milliseconds of the device.
    /// </summary>
    public TimeSpan UsbSettleDelay { get; init; } = TimeSpan.FromMilliseconds(250);
}
