namespace Osprey.Agent.Tests.Sensors.Processes;

/// <summary>
/// The process sensor tests run alone: they count every process the host starts, and a garbage collection caused by
/// another test in this process pauses the sensor's reader like one of its own would.
/// </summary>
[CollectionDefinition(nameof(ProcessSensorCollection), DisableParallelization = true)]
public sealed class ProcessSensorCollection;
