using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Osprey.Contracts.Isolation;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// The nftables scripts of isolation. Osprey owns one table, <c>inet osprey_isolation</c>; each script replaces it whole
/// in one <c>nft -f</c> transaction (create if missing, delete, create anew), so the kernel holds either the old
/// ruleset or the new one, never a mix. Its base chains drop by default on input, output and forward; a drop in any
/// table is final in nftables, so other tables' accepts cannot open a hole. Only validated, re-formatted values
/// (addresses, ports) are written into a script, never text from a task.
/// </summary>
internal static class NftRuleset
{
    public const string Family = "inet";
    public const string Table = "osprey_isolation";

    /// <summary>Removes the table if it is there; applying it when it is not is no error.</summary>
    public static string Remove() => $"table {Family} {Table}\ndelete table {Family} {Table}\n";

    /// <summary>The script that puts <paramref name="plan"/> in force, replacing any earlier isolation ruleset.</summary>
    public static string Apply(IsolationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var input = new List<string> { "iif \"lo\" accept" };
        var output = new List<string> { "oif \"lo\" accept" };
        foreach (var node in plan.Nodes.Distinct())
        {
            var ip = IpKeyword(node.Address);
            var port = node.Port.ToString(CultureInfo.InvariantCulture);
            // No connection-state match on the node's replies: a connection open before isolation is picked up by
            // conntrack mid-stream without its window scale, and packets it then judges out of window ("invalid") would
            // be dropped, stalling the one connection isolation must never disturb.
            output.Add($"{ip} daddr {node.Address} tcp dport {port} accept");
            input.Add($"{ip} saddr {node.Address} tcp sport {port} accept");
        }
        foreach (var server in plan.DnsServers.Distinct())
        {
            var ip = IpKeyword(server);
            output.Add($"{ip} daddr {server} meta l4proto {{ tcp, udp }} th dport 53 accept");
            input.Add($"{ip} saddr {server} meta l4proto {{ tcp, udp }} th sport 53 ct state established accept");
        }
        foreach (var rule in plan.Exclusions)
        {
            if (rule.Direction is TrafficDirection.Outbound or TrafficDirection.Both)
            {
                output.Add(Match(rule, "daddr", "sport", "dport") + "accept");
                input.Add(Match(rule, "saddr", "dport", "sport") + "ct state established,related accept");
            }
            if (rule.Direction is TrafficDirection.Inbound or TrafficDirection.Both)
            {
                input.Add(Match(rule, "saddr", "dport", "sport") + "accept");
                output.Add(Match(rule, "daddr", "sport", "dport") + "ct state established,related accept");
            }
        }
        // Staying on the network: DHCP leases and IPv6 neighbour discovery, without which the node's address soon becomes unreachable.
        input.Add("udp sport 67 udp dport 68 accept");
        output.Add("udp sport 68 udp dport 67 accept");
        input.Add("udp sport 547 udp dport 546 accept");
        output.Add("udp sport 546 udp dport 547 accept");
        input.Add("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept");
        output.Add("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept");
        // ICMP errors about allowed flows (path MTU, unreachable), which conntrack marks related.
        input.Add("meta l4proto { icmp, ipv6-icmp } ct state related accept");
        output.Add("meta l4proto { icmp, ipv6-icmp } ct state related accept");

        var script = new StringBuilder(Remove());
        script.Append(CultureInfo.InvariantCulture, $"table {Family} {Table} {{\n");
        Chain(script, "input", input);
        Chain(script, "output", output);
        Chain(script, "forward", []);
        script.Append("}\n");
        return script.ToString();
    }

    /// <summary>The match part of a rule for <paramref name="rule"/> seen from one side: address, protocol, local and remote ports.</summary>
    private static string Match(ExclusionRule rule, string addressSide, string localPortSide, string remotePortSide)
    {
        var text = new StringBuilder();
        if (rule.Remote is { } remote)
        {
            text.Append(CultureInfo.InvariantCulture, $"{IpKeyword(remote.BaseAddress)} {addressSide} {Network(remote)} ");
        }
        var hasPorts = rule.LocalPorts is not null || rule.RemotePorts is not null;
        var protocol = rule.Protocol switch
        {
            IsolationProtocol.Tcp => "tcp",
            IsolationProtocol.Udp => "udp",
            IsolationProtocol.Icmp => rule.Family switch
            {
                AddressFamily.InterNetwork => "icmp",
                AddressFamily.InterNetworkV6 => "ipv6-icmp",
                _ => "{ icmp, ipv6-icmp }",
            },
            _ => hasPorts ? "{ tcp, udp }" : null,
        };
        if (protocol is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"meta l4proto {protocol} ");
        }
        if (rule.LocalPorts is { } local)
        {
            text.Append(CultureInfo.InvariantCulture, $"th {localPortSide} {Ports(local)} ");
        }
        if (rule.RemotePorts is { } remotePorts)
        {
            text.Append(CultureInfo.InvariantCulture, $"th {remotePortSide} {Ports(remotePorts)} ");
        }
        return text.ToString();
    }

    private static void Chain(StringBuilder script, string name, List<string> rules)
    {
        script.Append(CultureInfo.InvariantCulture, $"\tchain {name} {{\n\t\ttype filter hook {name} priority -10; policy drop;\n");
        foreach (var rule in rules)
        {
            script.Append("\t\t").Append(rule).Append('\n');
        }
        script.Append("\t}\n");
    }

    private static string IpKeyword(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "ip";

    private static string Network(IPNetwork network) =>
        network.PrefixLength == (network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)
            ? network.BaseAddress.ToString()
            : network.ToString();

    private static string Ports((int First, int Last) range) =>
        range.First == range.Last
            ? range.First.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{range.First}-{range.Last}");
}
