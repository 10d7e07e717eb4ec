using System.Collections.Concurrent;
using System.Globalization;

namespace Osprey.Detection.Yara;

/// <summary>User names by UID from /etc/passwd (for the <c>owner</c> external), read once; an unknown UID gives its number.</summary>
internal static class YaraOwners
{
    private static readonly Lazy<Dictionary<uint, string>> Users = new(Load);
    private static readonly ConcurrentDictionary<uint, string> Numbers = new();

    public static string NameOf(uint uid) =>
        Users.Value.TryGetValue(uid, out var name) ? name : Numbers.GetOrAdd(uid, static u => u.ToString(CultureInfo.InvariantCulture));

    private static Dictionary<uint, string> Load()
    {
        var users = new Dictionary<uint, string>();
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
                {
                    users.TryAdd(uid, fields[0]);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return users;
    }
}
