using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>One entry of the kernel's neighbour table (ARP for IPv4, NDP for IPv6).</summary>
internal sealed record Neighbour(string Address, bool IsIpv6, string PhysicalAddress, string Interface, string State, bool IsRouter);

/// <summary>
/// Lists the neighbour table with an RTM_GETNEIGH dump over NETLINK_ROUTE (IPv4 and IPv6 at once); when netlink is
/// refused, the IPv4 entries of /proc/net/arp.
/// </summary>
internal static class NeighbourTable
{
    private const int NetlinkRoute = 0;
    private const ushort RtmNewNeigh = 28;
    private const ushort RtmGetNeigh = 30;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort NlmFRequestDump = 0x1 | 0x300;
    private const ushort NdaDst = 1;
    private const ushort NdaLladdr = 2;
    private const int HeaderLength = 16;
    private const int NdmsgLength = 12;
    private const int MaxDatagrams = 4096;

    public static List<Neighbour> Read(int max, out string? problem)
    {
        problem = null;
        var names = InterfaceNames();
        var errno = RawSocket.TryOpen(16 /* AF_NETLINK */, 3 /* SOCK_RAW */, NetlinkRoute, out var socket);
        if (errno == 0)
        {
            using (socket)
            {
                if (Dump(socket!, names, max, out var entries) is null)
                {
                    return entries;
                }
            }
        }
        problem = "the neighbour table could not be read over netlink; IPv4 entries were read from /proc/net/arp";
        return ReadProcArp("/proc/net/arp", max);
    }

    /// <summary>Null when the dump completed; otherwise why not.</summary>
    private static string? Dump(RawSocket socket, Dictionary<int, string> names, int max, out List<Neighbour> entries)
    {
        entries = [];
        Span<byte> request = stackalloc byte[HeaderLength + NdmsgLength];
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)request.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], RtmGetNeigh);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequestDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1);
        if (socket.Send(request) != request.Length)
        {
            return "send failed";
        }
        var buffer = new byte[64 * 1024];
        for (var datagrams = 0; datagrams < MaxDatagrams; datagrams++)
        {
            var received = socket.Receive(buffer, RawSocket.MsgTrunc, [], out _);
            if (received == -Errno.EAGAIN)
            {
                if (socket.WaitReadable(1000) <= 0)
                {
                    return "no reply";
                }
                continue;
            }
            if (received < 0 || received > buffer.Length)
            {
                return "receive failed";
            }
            var data = buffer.AsSpan(0, received);
            while (data.Length >= HeaderLength)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
                var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
                if (length < HeaderLength || length > data.Length)
                {
                    return "malformed reply";
                }
                if (type is NlmsgDone)
                {
                    return null;
                }
                if (type is NlmsgError)
                {
                    return "refused";
                }
                if (type == RtmNewNeigh && length >= HeaderLength + NdmsgLength && entries.Count < max && Entry(data[HeaderLength..length], names) is { } entry)
                {
                    entries.Add(entry);
                }
                data = data[Math.Min(data.Length, (length + 3) & ~3)..];
            }
        }
        return "reply too long";
    }

    /// <summary>struct ndmsg then its attributes; null without a destination address.</summary>
    private static Neighbour? Entry(ReadOnlySpan<byte> message, Dictionary<int, string> names)
    {
        var family = message[0];
        var index = BinaryPrimitives.ReadInt32LittleEndian(message[4..]);
        var state = BinaryPrimitives.ReadUInt16LittleEndian(message[8..]);
        var flags = message[10];
        string? address = null;
        var physical = "";
        var attributes = message[NdmsgLength..];
        while (attributes.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & 0x3fff);
            if (length < 4 || length > attributes.Length)
            {
                break;
            }
            var value = attributes[4..length];
            if (type == NdaDst && (value.Length == 4 || value.Length == 16))
            {
                address = new IPAddress(value).ToString();
            }
            else if (type == NdaLladdr)
            {
                physical = Convert.ToHexStringLower(value);
                physical = string.Join(':', Enumerable.Range(0, value.Length).Select(i => physical.Substring(i * 2, 2)));
            }
            attributes = attributes[Math.Min(attributes.Length, (length + 3) & ~3)..];
        }
        return address is null ? null : new Neighbour(address, family == 10, physical, names.GetValueOrDefault(index, index.ToString(CultureInfo.InvariantCulture)), StateName(state), (flags & 0x80) != 0);
    }

    private static string StateName(ushort state) => state switch
    {
        0x01 => "INCOMPLETE",
        0x02 => "REACHABLE",
        0x04 => "STALE",
        0x08 => "DELAY",
        0x10 => "PROBE",
        0x20 => "FAILED",
        0x40 => "NOARP",
        0x80 => "PERMANENT",
        _ => "NONE",
    };

    /// <summary>"IP address  HW type  Flags  HW address  Mask  Device" lines.</summary>
    public static List<Neighbour> ReadProcArp(string path, int max)
    {
        var entries = new List<Neighbour>();
        if (!File.Exists(path))
        {
            return entries;
        }
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && IPAddress.TryParse(fields[0], out _))
            {
                var complete = fields[2] != "0x0";
                entries.Add(new Neighbour(fields[0], false, fields[3], fields[5], complete ? "REACHABLE" : "INCOMPLETE", false));
                if (entries.Count >= max)
                {
                    break;
                }
            }
        }
        return entries;
    }

    private static Dictionary<int, string> InterfaceNames()
    {
        var names = new Dictionary<int, string>();
        if (!Directory.Exists("/sys/class/net"))
        {
            return names;
        }
        foreach (var directory in Directory.EnumerateDirectories("/sys/class/net"))
        {
            try
            {
                if (int.TryParse(File.ReadAllText(Path.Combine(directory, "ifindex")).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    names[index] = Path.GetFileName(directory);
                }
            }
            catch (IOException)
            {
                // The interface went away while listed.
            }
        }
        return names;
    }
}
