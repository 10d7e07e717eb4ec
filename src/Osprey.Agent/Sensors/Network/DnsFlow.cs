namespace Osprey.Agent.Sensors.Network;

/// <summary>The two ends of a DNS exchange: the client that asked and the server (port 53) that answers.</summary>
public readonly record struct DnsFlow(byte Protocol, NetAddress Client, ushort ClientPort, NetAddress Server, ushort ServerPort);
