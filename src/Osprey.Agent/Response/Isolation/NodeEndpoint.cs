using System.Net;

namespace Osprey.Agent.Response.Isolation;

/// <summary>An address and TCP port the agent connects to (a node or the proxy); it stays reachable while isolated.</summary>
internal readonly record struct NodeEndpoint(IPAddress Address, int Port);
