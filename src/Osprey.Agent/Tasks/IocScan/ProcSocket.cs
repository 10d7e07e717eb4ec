using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>One socket line of /proc/net/{tcp,udp,raw}[6]: addresses (IPv4-mapped shown as IPv4), ports, state and inode.</summary>
internal sealed record ProcSocket(string Protocol, bool IsIpv6, string LocalAddress, uint LocalPort, string RemoteAddress, uint RemotePort, string State, ulong Inode)
{
    private static readonly string[] TcpStates =
        ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"];

    /// <summary>The tables read, with the protocol each reports.</summary>
    public static readonly (string File, string Protocol, bool Ipv6)[] Tables =
    [
        ("tcp", "TCP", false), ("tcp6", "TCP", true), ("udp", "UDP", false), ("udp6", "UDP", true), ("raw", "RAWIP", false), ("raw6", "RAWIP", true),
    ];

    /// <summary>Every socket of the tables under <paramref name="procNet"/> (a missing table, such as raw6 without IPv6, is skipped), at most <paramref name="max"/>.</summary>
    public static List<ProcSocket> ReadAll(string procNet, int max)
    {
        var sockets = new List<ProcSocket>();
        foreach (var (file, protocol, ipv6) in Tables)
        {
            var path = Path.Combine(procNet, file);
            if (!File.Exists(path))
            {
                continue;
            }
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                if (Parse(line, protocol, ipv6) is { } socket)
                {
                    sockets.Add(socket);
                    if (sockets.Count >= max)
                    {
                        return sockets;
                    }
                }
            }
        }
        return sockets;
    }

    /// <summary>"sl local rem st tx:rx tr:when retrnsmt uid timeout inode …"; null for a line that is not one.</summary>
    public static ProcSocket? Parse(string line, string protocol, bool ipv6)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 10
            || !TryEndpoint(fields[1], ipv6, out var localAddress, out var localPort)
            || !TryEndpoint(fields[2], ipv6, out var remoteAddress, out var remotePort)
            || !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var state)
            || !ulong.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
        {
            return null;
        }
        var stateName = protocol == "TCP" && state < TcpStates.Length ? TcpStates[state]
            : protocol == "UDP" ? (state == 1 ? "ESTABLISHED" : "CLOSE")
            : state.ToString(CultureInfo.InvariantCulture);
        return new ProcSocket(protocol, ipv6, localAddress, localPort, remoteAddress, remotePort, stateName, inode);
    }

    /// <summary>"0100007F:0016": the address as the kernel's 32-bit words in host (little-endian) order, the port in hex.</summary>
    private static bool TryEndpoint(string text, bool ipv6, out string address, out uint port)
    {
        address = "";
        port = 0;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var hex = colon < 0 ? "" : text[..colon];
        if (hex.Length != (ipv6 ? 32 : 8) || !uint.TryParse(text.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (var word = 0; word < bytes.Length / 4; word++)
        {
            if (!uint.TryParse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(bytes[(word * 4)..], value);
        }
        var ip = new IPAddress(bytes);
        address = (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
        return true;
    }
}
