using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Osprey.Agent.Sensors;

/// <summary>
/// POSIX ACLs as the kernel stores them in system.posix_acl_access / system.posix_acl_default, written in the
/// short text form of <c>getfacl -c</c> ("user::rw-,user:1000:r--,group::r--,mask::r--,other::r--"); with
/// name resolvers, named entries carry names as getfacl prints them ("user:alice:r-x"), else numbers as with -n.
/// </summary>
internal static class PosixAcl
{
    public const string AccessAttribute = "system.posix_acl_access";
    public const string DefaultAttribute = "system.posix_acl_default";

    private const uint Version = 2;
    private const int HeaderLength = 4;
    private const int EntryLength = 8;

    /// <summary>The text form, each entry prefixed with <paramref name="prefix"/>; null when the value is not a valid ACL.</summary>
    public static string? ToText(
        ReadOnlySpan<byte> value, string prefix = "", Func<uint, string?>? userName = null, Func<uint, string?>? groupName = null)
    {
        if (value.Length < HeaderLength || (value.Length - HeaderLength) % EntryLength != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(value) != Version)
        {
            return null;
        }
        var text = new StringBuilder();
        for (var offset = HeaderLength; offset < value.Length; offset += EntryLength)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(value[offset..]);
            var perm = BinaryPrimitives.ReadUInt16LittleEndian(value[(offset + 2)..]);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(value[(offset + 4)..]);
            var number = id.ToString(CultureInfo.InvariantCulture);
            var entry = tag switch
            {
                0x01 => "user:",
                0x02 => "user:" + (userName?.Invoke(id) ?? number),
                0x04 => "group:",
                0x08 => "group:" + (groupName?.Invoke(id) ?? number),
                0x10 => "mask:",
                0x20 => "other:",
                _ => null,
            };
            if (entry is null)
            {
                return null;
            }
            if (text.Length > 0)
            {
                text.Append(',');
            }
            text.Append(prefix).Append(entry).Append(':')
                .Append((perm & 4) != 0 ? 'r' : '-')
                .Append((perm & 2) != 0 ? 'w' : '-')
                .Append((perm & 1) != 0 ? 'x' : '-');
        }
        return text.ToString();
    }
}
