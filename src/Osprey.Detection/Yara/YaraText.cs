using System.Runtime.InteropServices;
using System.Text;

namespace Osprey.Detection.Yara;

/// <summary>UTF-8 conversions at the libyara boundary.</summary>
internal static unsafe class YaraText
{
    public static string FromUtf8(byte* text) => text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";

    /// <summary>A NUL-terminated UTF-8 copy of <paramref name="text"/>.</summary>
    public static byte[] ToUtf8(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>The tags of a rule: NUL-terminated names one after another, ended by an empty one.</summary>
    public static List<string> Tags(byte* tags)
    {
        var list = new List<string>();
        while (tags != null && *tags != 0)
        {
            var tag = FromUtf8(tags);
            list.Add(tag);
            tags += Encoding.UTF8.GetByteCount(tag) + 1;
        }
        return list;
    }
}
