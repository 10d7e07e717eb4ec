namespace Osprey.Agent.Outbox;

/// <summary>One stored event: its sequence number and its serialized bytes (sequence included), as sent.</summary>
public readonly record struct OutboxEntry(ulong Sequence, byte[] Body);
