using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>Turns the system.posix_acl_access attribute into getfacl's short text form ("user::rwx,user:alice:r-x,…").</summary>
internal static class PosixAcl
{
    public const string AccessAttribute = "system.posix_acl_access";
    private const uint Version = 2;
    private const int HeaderSize = 4;
    private const int EntrySize = 8;

    /// <summary>The text form; empty when the value is not a version-2 ACL.</summary>
    public static string ToText(ReadOnlySpan<byte> value, Func<uint, string?> userName, Func<uint, string?> groupName)
    {
        if (value.Length < HeaderSize || (value.Length - HeaderSize) % EntrySize != 0 || BinaryPrimitives.ReadUInt32LittleEndian(value) != Version)
        {
            return "";
        }
        var text = new StringBuilder();
        for (var offset = HeaderSize; offset < value.Length; offset += EntrySize)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(value[offset..]);
            var permissions = BinaryPrimitives.ReadUInt16LittleEndian(value[(offset + 2)..]);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(value[(offset + 4)..]);
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(tag switch
            {
                0x01 => "user::",
                0x02 => $"user:{userName(id) ?? id.ToString(CultureInfo.InvariantCulture)}:",
                0x04 => "group::",
                0x08 => $"group:{groupName(id) ?? id.ToString(CultureInfo.InvariantCulture)}:",
                0x10 => "mask::",
                0x20 => "other::",
                _ => $"tag{tag}:{id}:",
            });
            text.Append((permissions & 4) != 0 ? 'r' : '-').Append((permissions & 2) != 0 ? 'w' : '-').Append((permissions & 1) != 0 ? 'x' : '-');
        }
        return text.ToString();
    }
}
