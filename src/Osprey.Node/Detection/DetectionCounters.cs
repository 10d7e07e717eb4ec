namespace Osprey.Node.Detection;

/// <summary>What streaming detection has done since the node started.</summary>
/// <remarks>Dropped events are those whose streaming evaluation was skipped; caught-up events are those evaluated later from the store.</remarks>
public readonly record struct DetectionCounters(long EvaluatedEvents, long DroppedEvents, long DroppedBatches, long Matches, long FailedBatches, long CaughtUpEvents = 0);
