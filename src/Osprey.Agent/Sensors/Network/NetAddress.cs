using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// An IPv4 or IPv6 address as one 128-bit value (IPv4 as an IPv4-mapped IPv6 address), so sockets and packets
/// of both families key and compare alike without allocating. Text shows IPv4-mapped addresses as IPv4.
/// </summary>
public readonly record struct NetAddress(UInt128 Bits)
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xffff << 32;

    public static NetAddress FromIPv4(ReadOnlySpan<byte> address) =>
        new(MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(address));

    public static NetAddress FromIPv6(ReadOnlySpan<byte> address) => new(BinaryPrimitives.ReadUInt128BigEndian(address));

    public static NetAddress From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(bytes);
        }
        address.TryWriteBytes(bytes, out _);
        return FromIPv6(bytes);
    }

    /// <summary>An IPv4 address (or an IPv6 socket's IPv4-mapped one).</summary>
    public bool IsIPv4 => Bits >> 32 == 0xffff;

    /// <summary>0.0.0.0 or ::, the wildcard a listening socket binds to.</summary>
    public bool IsUnspecified => Bits == UInt128.Zero || Bits == MappedPrefix;

    /// <summary>The address in network order: 4 bytes for IPv4, else 16.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)Bits);
            return 4;
        }
        BinaryPrimitives.WriteUInt128BigEndian(destination, Bits);
        return 16;
    }

    public override string ToString()
    {
        if (IsIPv4)
        {
            var v4 = (uint)Bits;
            return string.Create(CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xff}.{(v4 >> 8) & 0xff}.{v4 & 0xff}");
        }
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Bits);
        return new IPAddress(bytes).ToString();
    }
}
