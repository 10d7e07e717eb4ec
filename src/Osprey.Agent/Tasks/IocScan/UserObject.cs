using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks.IocScan;

/// <summary>UserItem: a local account, one line of /etc/passwd.</summary>
internal sealed class UserObject(string name, uint uid, string fullName, string home, string shell) : ScanObject
{
    public override string Document => "UserItem";

    protected override IReadOnlyList<string>? Term(string term) => term switch
    {
        "username" => One(name),
        "userid" => One(uid),
        "fullname" => One(fullName),
        "homedirectory" => One(home),
        "shell" => One(shell),
        _ => null,
    };

    public override IocObject ToProto() => new() { User = new UserItem { UserName = name } };

    /// <summary>Every well-formed line of a passwd file (at most <paramref name="max"/>).</summary>
    public static List<UserObject> ReadPasswd(string path, int max)
    {
        var users = new List<UserObject>();
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split(':');
            if (fields.Length < 7 || fields[0].Length == 0 || line.StartsWith('#')
                || !uint.TryParse(fields[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var uid))
            {
                continue;
            }
            users.Add(new UserObject(fields[0], uid, fields[4].Split(',')[0], fields[5], fields[6]));
            if (users.Count >= max)
            {
                break;
            }
        }
        return users;
    }
}
