namespace Osprey.Agent.Outbox;

/// <summary>How much the outbox may hold before the oldest telemetry is dropped.</summary>
public sealed record OutboxLimits(TimeSpan MaxAge, long MaxBytes);
