namespace Osprey.Agent.Response.Isolation;

/// <summary>Isolation could not be applied, verified or removed; the message says why, for the task report.</summary>
internal sealed class IsolationException(string message, Exception? inner = null) : Exception(message, inner);
