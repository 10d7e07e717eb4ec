using System.Buffers.Binary;
using System.Text;

namespace Osprey.Agent.Tests.Sensors.Files;

/// <summary>Builds fanotify event bytes as the kernel lays them out (fanotify(7)), for parser tests.</summary>
internal static class FanotifyRecords
{
    public static byte[] Event(ulong mask, int pid, params byte[][] records)
    {
        var length = 24 + records.Sum(r => r.Length);
        var bytes = new byte[length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)length);
        bytes[4] = 3;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), 24);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), mask);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), -1);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(20), pid);
        var offset = 24;
        foreach (var record in records)
        {
            record.CopyTo(bytes, offset);
            offset += record.Length;
        }
        return bytes;
    }

    /// <summary>An info record with a file ID (and, for the *_NAME types, a name), padded to 4 bytes like the kernel does.</summary>
    public static byte[] Fid(byte type, ulong fsid, byte[] handle, string? name = null, int handleType = 1)
    {
        var nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name + "\0");
        var length = 4 + 8 + 8 + handle.Length + nameBytes.Length;
        length = (length + 3) & ~3;
        var bytes = new byte[length];
        bytes[0] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(4), fsid);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)handle.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), handleType);
        handle.CopyTo(bytes, 20);
        nameBytes.CopyTo(bytes, 20 + handle.Length);
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
