using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Osprey.Agent.Interop;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>
/// Reads a volume's label and UUID from its superblock for the common filesystems (ext2/3/4, XFS, Btrfs,
/// ISO 9660, FAT, exFAT, NTFS) where udev's /dev/disk links are not there to ask. Labels kept outside the
/// boot sector (exFAT, NTFS) are not read.
/// </summary>
public static class VolumeProbe
{
    /// <summary>Bytes from the start of the device that hold every superblock probed (Btrfs's is at 64 KiB).</summary>
    public const int HeadBytes = 0x10000 + 0x1000;

    public static (string Label, string Uuid)? Probe(string devicePath)
    {
        using var fd = FdIo.OpenReadOnly(devicePath, out _);
        if (fd is null)
        {
            return null;
        }
        var buffer = ArrayPool<byte>.Shared.Rent(HeadBytes);
        try
        {
            var n = FdIo.PRead(fd, buffer.AsSpan(0, HeadBytes), 0);
            return n <= 0 ? null : Parse(buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Label and UUID from the first bytes of a volume; null when no known filesystem is recognised.</summary>
    public static (string Label, string Uuid)? Parse(ReadOnlySpan<byte> head)
    {
        // ext2/3/4: superblock at 1024, magic 0xEF53 at 0x38.
        if (head.Length >= 2048 && BinaryPrimitives.ReadUInt16LittleEndian(head[(1024 + 0x38)..]) == 0xEF53)
        {
            return (Text(head.Slice(1024 + 0x78, 16)), Uuid(head.Slice(1024 + 0x68, 16)));
        }
        if (head.Length >= 512 && head[..4].SequenceEqual("XFSB"u8))
        {
            return (Text(head.Slice(108, 12)), Uuid(head.Slice(32, 16)));
        }
        if (head.Length >= 0x10000 + 0x22b && head.Slice(0x10000 + 0x40, 8).SequenceEqual("_BHRfS_M"u8))
        {
            return (Text(head.Slice(0x10000 + 0x12b, 256)), Uuid(head.Slice(0x10000 + 0x20, 16)));
        }
        if (head.Length >= 0x8000 + 830 && head[0x8000] == 1 && head.Slice(0x8001, 5).SequenceEqual("CD001"u8))
        {
            return (Text(head.Slice(0x8000 + 40, 32)), IsoDate(head.Slice(0x8000 + 813, 16)));
        }
        if (head.Length < 512)
        {
            return null;
        }
        if (head.Slice(3, 8).SequenceEqual("EXFAT   "u8))
        {
            return ("", Serial32(BinaryPrimitives.ReadUInt32LittleEndian(head[0x64..])));
        }
        if (head.Slice(3, 8).SequenceEqual("NTFS    "u8))
        {
            return ("", BinaryPrimitives.ReadUInt64LittleEndian(head[0x48..]).ToString("X16", CultureInfo.InvariantCulture));
        }
        if (head[510] == 0x55 && head[511] == 0xAA)
        {
            if (head.Slice(0x52, 5).SequenceEqual("FAT32"u8))
            {
                return (FatLabel(head.Slice(0x47, 11)), Serial32(BinaryPrimitives.ReadUInt32LittleEndian(head[0x43..])));
            }
            if (head.Slice(0x36, 4).SequenceEqual("FAT1"u8))
            {
                return (FatLabel(head.Slice(0x2B, 11)), Serial32(BinaryPrimitives.ReadUInt32LittleEndian(head[0x27..])));
            }
        }
        return null;
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]).TrimEnd(' ');
    }

    private static string FatLabel(ReadOnlySpan<byte> field)
    {
        var label = Text(field);
        return label == "NO NAME" ? "" : label;
    }

    private static string Uuid(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IndexOfAnyExcept((byte)0) < 0)
        {
            return "";
        }
        var hex = Convert.ToHexStringLower(bytes);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    private static string Serial32(uint serial) =>
        string.Create(CultureInfo.InvariantCulture, $"{serial >> 16:X4}-{serial & 0xffff:X4}");

    // The volume creation time is what blkid reports as an ISO 9660 "UUID".
    private static string IsoDate(ReadOnlySpan<byte> digits)
    {
        var s = Encoding.ASCII.GetString(digits);
        return s.All(char.IsAsciiDigit) && s.Any(c => c != '0')
            ? $"{s[..4]}-{s[4..6]}-{s[6..8]}-{s[8..10]}-{s[10..12]}-{s[12..14]}-{s[14..16]}"
            : "";
    }
}
