using Osprey.Contracts.V1;

namespace Osprey.Node.Detection;

/// <summary>The events of one stored telemetry batch, waiting in their agent's partition.</summary>
internal sealed record DetectionWork(string AgentId, IReadOnlyList<Event> Events, long QueuedTicks);
