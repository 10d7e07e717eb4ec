using System.Net;
using System.Net.Sockets;
using Osprey.Contracts.V1;

namespace Osprey.Contracts.Isolation;

/// <summary>
/// An isolation exclusion after validation: every value parsed and range-checked, the address as a network with no
/// host bits, ports as inclusive ranges (null: any port). Only these values, never the operator's text, reach the
/// firewall.
/// </summary>
public sealed record ExclusionRule(
    TrafficDirection Direction, IsolationProtocol Protocol, IPNetwork? Remote, (int First, int Last)? LocalPorts, (int First, int Last)? RemotePorts)
{
    /// <summary>Most exclusions one isolate task may carry.</summary>
    public const int MaxPerTask = 256;

    /// <summary>IPv4 or IPv6, or null when the rule names no address.</summary>
    public AddressFamily? Family => Remote?.BaseAddress.AddressFamily;

    /// <summary>Validates <paramref name="exclusion"/>; the rule, or a sentence saying what is wrong.</summary>
    public static (ExclusionRule? Rule, string? Problem) From(IsolationExclusion exclusion)
    {
        ArgumentNullException.ThrowIfNull(exclusion);
        if (exclusion.Direction is not (TrafficDirection.Inbound or TrafficDirection.Outbound or TrafficDirection.Both))
        {
            return (null, "the direction must be in, out or both");
        }
        if (!TryProtocol(exclusion.Protocol, out var protocol))
        {
            return (null, $"protocol '{Shorten(exclusion.Protocol)}' is not tcp, udp, icmp or any");
        }
        IPNetwork? remote = null;
        if (exclusion.RemoteAddress.Length > 0)
        {
            var (network, problem) = ParseNetwork(exclusion.RemoteAddress);
            if (problem is not null)
            {
                return (null, problem);
            }
            remote = network;
        }
        var (local, localProblem) = Ports(exclusion.LocalPorts, "local");
        var (remotePorts, remoteProblem) = Ports(exclusion.RemotePorts, "remote");
        if ((localProblem ?? remoteProblem) is { } portProblem)
        {
            return (null, portProblem);
        }
        if (protocol == IsolationProtocol.Icmp && (local is not null || remotePorts is not null))
        {
            return (null, "icmp has no ports; leave the port ranges empty or use tcp or udp");
        }
        if (remote is null && protocol == IsolationProtocol.Any && local is null && remotePorts is null)
        {
            return (null, "an exclusion with no address, protocol or port lets every packet through, so isolation would do nothing");
        }
        return (new ExclusionRule(exclusion.Direction, protocol, remote, local, remotePorts), null);
    }

    /// <summary>Validates every exclusion of <paramref name="parameters"/>: the rules, or the first problem, naming the exclusion.</summary>
    public static (IReadOnlyList<ExclusionRule> Rules, string? Problem) From(IsolateParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Exclusions.Count > MaxPerTask)
        {
            return ([], $"{parameters.Exclusions.Count} exclusions; at most {MaxPerTask} are allowed");
        }
        var rules = new List<ExclusionRule>(parameters.Exclusions.Count);
        for (var i = 0; i < parameters.Exclusions.Count; i++)
        {
            var (rule, problem) = From(parameters.Exclusions[i]);
            if (problem is not null)
            {
                return ([], $"exclusion {i + 1}: {problem}");
            }
            rules.Add(rule!);
        }
        if (parameters.ReleaseAtUs < 0)
        {
            return ([], "the release time is negative");
        }
        return (rules, null);
    }

    /// <summary>An IP address or CIDR block; IPv4-mapped IPv6 addresses become IPv4, host bits past the prefix are refused.</summary>
    public static (IPNetwork Network, string? Problem) ParseNetwork(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var shown = Shorten(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily == AddressFamily.InterNetwork && !IsDottedQuad(addressText)))
        {
            return (default, $"'{shown}' is not an IP address or CIDR block (such as 192.0.2.7, 10.0.0.0/8 or 2001:db8::/32)");
        }
        var mapped = address.IsIPv4MappedToIPv6;
        if (mapped)
        {
            address = address.MapToIPv4();
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var prefix = bits;
        if (slash >= 0)
        {
            var prefixText = text[(slash + 1)..];
            if (prefixText.Length is 0 or > 3 || !prefixText.All(char.IsAsciiDigit) || !int.TryParse(prefixText, out prefix))
            {
                return (default, $"'{shown}' has no valid prefix length after '/'");
            }
            if (mapped)
            {
                prefix -= 96;
            }
            if (prefix < 0 || prefix > bits)
            {
                return (default, $"'{shown}': the prefix length must be between 0 and {bits}");
            }
        }
        var network = new IPNetwork(Masked(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
        {
            return (default, $"'{shown}' has address bits set past the /{prefix} prefix; did you mean {network}?");
        }
        return (network, null);
    }

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    // IPAddress.TryParse also takes "10", "10.1" and hexadecimal parts; an operator who wrote those meant something else.
    private static bool IsDottedQuad(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
    }

    private static (ValueTuple<int, int>? Range, string? Problem) Ports(PortRange? range, string side)
    {
        if (range is null || (range.First == 0 && range.Last == 0))
        {
            return (null, null);
        }
        if (range.First == 0 || range.First > 65535 || range.Last > 65535)
        {
            return (null, $"the {side} ports {range.First}-{range.Last} are outside 1-65535");
        }
        var last = range.Last == 0 ? range.First : range.Last;
        if (last < range.First)
        {
            return (null, $"the {side} port range {range.First}-{range.Last} ends before it starts");
        }
        return (((int)range.First, (int)last), null);
    }

    private static bool TryProtocol(string text, out IsolationProtocol protocol)
    {
        protocol = text.ToLowerInvariant() switch
        {
            "" or "any" => IsolationProtocol.Any,
            "tcp" => IsolationProtocol.Tcp,
            "udp" => IsolationProtocol.Udp,
            "icmp" => IsolationProtocol.Icmp,
            _ => (IsolationProtocol)(-1),
        };
        return protocol >= IsolationProtocol.Any;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
