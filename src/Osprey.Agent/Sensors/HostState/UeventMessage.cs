namespace Osprey.Agent.Sensors.HostState;

/// <summary>A kernel uevent: the action, the device's sysfs path and subsystem, and its KEY=value properties.</summary>
public sealed record UeventMessage(string Action, string DevPath, string Subsystem, IReadOnlyDictionary<string, string> Properties)
{
    public string? this[string key] => Properties.GetValueOrDefault(key);

    public string DevType => this["DEVTYPE"] ?? "";

    /// <summary>Node name below /dev ("sdb", "bus/usb/001/004"), empty when the device has none.</summary>
    public string DevName => this["DEVNAME"] ?? "";
}
