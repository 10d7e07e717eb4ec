namespace Osprey.Agent.Sensors;

/// <summary>
/// A source of telemetry: it reads one kernel interface (or file set) and turns what it reports into
/// events. <see cref="RunAsync"/> runs until cancelled; a sensor that cannot run on this host sets its
/// health to Unsupported with the reason and returns.
/// </summary>
public interface ISensor
{
    /// <summary>Short stable name ("process", "file", "network"…): the source in loss counters and sensor-gap events.</summary>
    string Name { get; }

    Task RunAsync(SensorContext context, CancellationToken cancellationToken);
}
