using System.Globalization;
using System.Text;
using Osprey.Contracts.V1;

namespace Osprey.Contracts.Isolation;

/// <summary>
/// The command-line form of an isolation exclusion: comma-separated <c>key=value</c> pairs, for example
/// <c>dir=out,proto=tcp,addr=10.0.0.0/8,rport=443</c>. Keys: <c>dir</c> (in, out or both; required), <c>proto</c>
/// (tcp, udp, icmp or any; default any), <c>addr</c> (IP address or CIDR block; default any), <c>rport</c> and
/// <c>lport</c> (remote and local port or range <c>a-b</c>; default any), <c>desc</c> (free text without commas).
/// </summary>
public static class ExclusionSyntax
{
    public const string Help = "dir=in|out|both[,proto=tcp|udp|icmp|any][,addr=IP|CIDR][,rport=N|N-M][,lport=N|N-M][,desc=TEXT]";

    /// <summary>Parses and validates one exclusion; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static IsolationExclusion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var exclusion = new IsolationExclusion();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"exclusion '{text}': '{pair}' is not key=value; the form is {Help}");
            }
            var key = pair[..equals].Trim().ToLowerInvariant();
            var value = pair[(equals + 1)..].Trim();
            if (!seen.Add(key))
            {
                throw new FormatException($"exclusion '{text}': '{key}' is given twice");
            }
            switch (key)
            {
                case "dir":
                    exclusion.Direction = value.ToLowerInvariant() switch
                    {
                        "in" => TrafficDirection.Inbound,
                        "out" => TrafficDirection.Outbound,
                        "both" => TrafficDirection.Both,
                        _ => throw new FormatException($"exclusion '{text}': dir '{value}' is not in, out or both"),
                    };
                    break;
                case "proto":
                    exclusion.Protocol = value.ToLowerInvariant();
                    break;
                case "addr":
                    exclusion.RemoteAddress = value;
                    break;
                case "rport":
                    exclusion.RemotePorts = Ports(text, key, value);
                    break;
                case "lport":
                    exclusion.LocalPorts = Ports(text, key, value);
                    break;
                case "desc":
                    exclusion.Description = value;
                    break;
                default:
                    throw new FormatException($"exclusion '{text}': unknown key '{key}'; the form is {Help}");
            }
        }
        if (!seen.Contains("dir"))
        {
            throw new FormatException($"exclusion '{text}' names no direction (dir=in, dir=out or dir=both)");
        }
        var (_, problem) = ExclusionRule.From(exclusion);
        return problem is null ? exclusion : throw new FormatException($"exclusion '{text}': {problem}");
    }

    /// <summary>The exclusion in the form <see cref="Parse"/> reads.</summary>
    public static string Format(IsolationExclusion exclusion)
    {
        ArgumentNullException.ThrowIfNull(exclusion);
        var text = new StringBuilder("dir=").Append(exclusion.Direction switch
        {
            TrafficDirection.Inbound => "in",
            TrafficDirection.Outbound => "out",
            TrafficDirection.Both => "both",
            _ => "?",
        });
        text.Append(",proto=").Append(exclusion.Protocol.Length == 0 ? "any" : exclusion.Protocol);
        if (exclusion.RemoteAddress.Length > 0)
        {
            text.Append(",addr=").Append(exclusion.RemoteAddress);
        }
        AppendPorts(text, "rport", exclusion.RemotePorts);
        AppendPorts(text, "lport", exclusion.LocalPorts);
        if (exclusion.Description.Length > 0)
        {
            text.Append(",desc=").Append(exclusion.Description);
        }
        return text.ToString();
    }

    private static void AppendPorts(StringBuilder text, string key, PortRange? range)
    {
        if (range is null || (range.First == 0 && range.Last == 0))
        {
            return;
        }
        text.Append(',').Append(key).Append('=').Append(range.First.ToString(CultureInfo.InvariantCulture));
        if (range.Last != range.First && range.Last != 0)
        {
            text.Append('-').Append(range.Last.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static PortRange Ports(string text, string key, string value)
    {
        var dash = value.IndexOf('-', StringComparison.Ordinal);
        var firstText = dash < 0 ? value : value[..dash];
        var lastText = dash < 0 ? value : value[(dash + 1)..];
        if (!Port(firstText, out var first) || !Port(lastText, out var last))
        {
            throw new FormatException($"exclusion '{text}': {key} '{value}' is not a port (1-65535) or a range such as 8000-8100");
        }
        if (last < first)
        {
            throw new FormatException($"exclusion '{text}': {key} range '{value}' ends before it starts");
        }
        return new PortRange { First = first, Last = last };

        static bool Port(string s, out uint port) =>
            uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
    }
}
