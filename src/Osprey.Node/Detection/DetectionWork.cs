using Osprey.Contracts.V1;

namespace Osprey.Node.Detection;

/// <summary>
/// The events of one stored telemetry batch, waiting in their agent's partition; <paramref name="Evaluated"/> runs once
/// the worker has evaluated them and recorded their alerts (catch-up removes its backlog entry then).
/// </summary>
internal sealed record DetectionWork(string AgentId, IReadOnlyList<Event> Events, long QueuedTicks, Action? Evaluated = null);
