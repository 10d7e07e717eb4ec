using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Osprey.Detection.Sigma;

/// <summary>
/// The field is an IP address inside one of the networks (IPv4 and IPv6; an IPv4-mapped IPv6 address counts as its
/// IPv4 address). Dotted IPv4 text is parsed without allocating.
/// </summary>
internal sealed class CidrMatcher : SigmaMatcher
{
    private readonly (uint Network, uint Mask)[] _v4;
    private readonly (UInt128 Network, UInt128 Mask)[] _v6;

    private CidrMatcher((uint, uint)[] v4, (UInt128, UInt128)[] v6)
    {
        _v4 = v4;
        _v6 = v6;
    }

    public override int Cost => 3;

    public static CidrMatcher Create(IEnumerable<string> networks, string key, int line)
    {
        var v4 = new List<(uint, uint)>();
        var v6 = new List<(UInt128, UInt128)>();
        foreach (var text in networks)
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var addressText = slash < 0 ? text : text[..slash];
            if (!IPAddress.TryParse(addressText, out var address))
            {
                throw SigmaRuleException.Invalid($"'{key}': '{text}' is not a CIDR network", line);
            }

            var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            var prefix = bits;
            if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
            {
                throw SigmaRuleException.Invalid($"'{key}': '{text}' has a bad prefix length", line);
            }

            if (bits == 32)
            {
                var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
                v4.Add((ToUInt32(address) & mask, mask));
            }
            else
            {
                var mask = prefix == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefix);
                v6.Add((ToUInt128(address) & mask, mask));
            }
        }

        return new CidrMatcher([.. v4], [.. v6]);
    }

    public override bool Matches(ReadOnlySpan<char> value)
    {
        if (TryParseV4(value, out var v4))
        {
            return InV4(v4);
        }

        if (!IPAddress.TryParse(value, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6 && InV4(ToUInt32(address.MapToIPv4())))
        {
            return true;
        }

        var v6 = ToUInt128(address);
        foreach (var (network, mask) in _v6)
        {
            if ((v6 & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    private bool InV4(uint address)
    {
        foreach (var (network, mask) in _v4)
        {
            if ((address & mask) == network)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseV4(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        var octets = 0;
        var current = -1;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                current = current < 0 ? c - '0' : (current * 10) + (c - '0');
                if (current > 255)
                {
                    return false;
                }
            }
            else if (c == '.' && current >= 0 && octets < 3)
            {
                address = (address << 8) | (uint)current;
                octets++;
                current = -1;
            }
            else
            {
                return false;
            }
        }

        if (current < 0 || octets != 3)
        {
            return false;
        }

        address = (address << 8) | (uint)current;
        return true;
    }

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static UInt128 ToUInt128(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }
}
