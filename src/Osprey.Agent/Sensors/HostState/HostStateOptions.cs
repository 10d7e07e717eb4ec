namespace Osprey.Agent.Sensors.HostState;

/// <summary>Settings of the host-state sensors, one record per sensor, every path defaulting to the real system location.</summary>
public sealed record HostStateOptions
{
    public MountSensorOptions Mounts { get; init; } = new();

    public DeviceSensorOptions Devices { get; init; } = new();

    public LogonSensorOptions Logons { get; init; } = new();

    public ScheduledTaskSensorOptions ScheduledTasks { get; init; } = new();

    public ServiceSensorOptions Services { get; init; } = new();

    public BootSensorOptions Boot { get; init; } = new();
}
