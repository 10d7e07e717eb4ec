using Osprey.Agent.Configuration;

namespace Osprey.Agent.Sensors;

/// <summary>
/// Every sensor the agent has, by name; <c>sensors</c> in agent.json selects a subset (empty: all, ["none"]:
/// no sensors, only the agent's own records).
/// </summary>
public static class SensorCatalog
{
    public static IReadOnlyList<ISensor> Create(AgentOptions options, StatePaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        // The agent's own state directory is never recorded: its outbox writes would feed the file sensor.
        List<ISensor> all =
        [
            new Processes.ProcessSensor(options.Processes),
            new Files.FileSensor([paths.Directory], options.FileSensor),
            new Network.NetworkSensor(options.Network),
            new Network.DnsSensor(options.Dns),
            .. HostState.HostStateSensors.Create(paths.Sensors, options.HostState),
        ];
        return options.Sensors.Count == 0 ? all : [.. all.Where(s => options.Sensors.Contains(s.Name, StringComparer.Ordinal))];
    }
}
