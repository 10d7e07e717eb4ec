namespace Osprey.Node.Detection;

/// <summary>What streaming detection has done since the node started.</summary>
public readonly record struct DetectionCounters(long EvaluatedEvents, long DroppedEvents, long DroppedBatches, long Matches, long FailedBatches);
