using System.Net;
using Osprey.Contracts.Isolation;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// Everything one isolation ruleset allows besides loopback and the basics of staying on the network: the TCP endpoints
/// of the nodes and the proxy, the DNS servers (only when a node or the proxy is named by host name), and the operator's
/// exclusions.
/// </summary>
internal sealed record IsolationPlan(IReadOnlyList<NodeEndpoint> Nodes, IReadOnlyList<IPAddress> DnsServers, IReadOnlyList<ExclusionRule> Exclusions);
