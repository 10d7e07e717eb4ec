namespace Osprey.Agent.Outbox;

/// <summary>The outbox file is not one this agent can read (unknown format version or damaged metadata).</summary>
public sealed class OutboxCorruptException(string message, Exception? inner = null) : Exception(message, inner);
