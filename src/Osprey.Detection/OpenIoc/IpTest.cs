using System.Net;

namespace Osprey.Detection.OpenIoc;

/// <summary>
/// is on an IP address: equal to the Content's address, or inside its network when the Content is CIDR
/// (<c>10.0.0.0/8</c>, <c>fe80::/10</c>). IPv4-mapped IPv6 addresses count as their IPv4 address.
/// </summary>
internal sealed class IpTest(byte[] network, int prefixBits) : IocValueTest
{
    public override bool Test(string value)
    {
        if (!TryParseAddress(value, out var address))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length) || length != network.Length)
        {
            return false;
        }
        return InPrefix(bytes[..length], network, prefixBits);
    }

    /// <summary>Reads "a.b.c.d", an IPv6 address, or either with "/prefix"; false when it is none of them.</summary>
    public static bool TryParseNetwork(string text, out byte[] network, out int prefixBits)
    {
        network = [];
        prefixBits = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!TryParseAddress(slash < 0 ? text : text[..slash], out var address))
        {
            return false;
        }
        network = address.GetAddressBytes();
        prefixBits = network.Length * 8;
        return slash < 0
            || (int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefixBits)
                && prefixBits <= network.Length * 8);
    }

    public static bool TryParseAddress(string text, out IPAddress address)
    {
        if (!IPAddress.TryParse(text.Trim(), out address!))
        {
            return false;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            address.ScopeId = 0;
        }
        return true;
    }

    private static bool InPrefix(ReadOnlySpan<byte> address, byte[] network, int bits)
    {
        var whole = bits / 8;
        if (!address[..whole].SequenceEqual(network.AsSpan(0, whole)))
        {
            return false;
        }
        var rest = bits % 8;
        if (rest == 0)
        {
            return true;
        }
        var mask = (byte)(0xff << (8 - rest));
        return (address[whole] & mask) == (network[whole] & mask);
    }
}
