namespace Osprey.Agent.Sensors.HostState;

/// <summary>Creates the host-state sensors: mount, device, logon, scheduled-task, service and boot.</summary>
public static class HostStateSensors
{
    /// <param name="stateDirectory">The agent's state directory; the boot sensor keeps its "boot-state" file there.</param>
    public static IReadOnlyList<ISensor> Create(string stateDirectory, HostStateOptions? options = null)
    {
        options ??= new HostStateOptions();
        return
        [
            new MountSensor(options.Mounts),
            new DeviceSensor(options.Devices),
            new LogonSensor(options.Logons),
            new ScheduledTaskSensor(options.ScheduledTasks),
            new ServiceSensor(options.Services),
            new BootSensor(stateDirectory, options.Boot),
        ];
    }
}
