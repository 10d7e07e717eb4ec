using System.Globalization;

namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// Classifies a user ID as "root", "system" (daemons and service accounts: below UID_MIN, above UID_MAX, or
/// nobody) or "regular" (people), with UID_MIN and UID_MAX from /etc/login.defs.
/// </summary>
internal sealed class AccountTypes
{
    private const uint Nobody = 65534;

    public AccountTypes(string loginDefsPath = "/etc/login.defs")
    {
        try
        {
            foreach (var line in File.ReadLines(loginDefsPath))
            {
                var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 2 && uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    if (fields[0] == "UID_MIN")
                    {
                        UidMin = value;
                    }
                    else if (fields[0] == "UID_MAX")
                    {
                        UidMax = value;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public uint UidMin { get; } = 1000;

    public uint UidMax { get; } = 60000;

    public string Of(uint uid) => uid switch
    {
        0 => "root",
        Nobody => "system",
        _ when uid < UidMin || uid > UidMax => "system",
        _ => "regular",
    };
}
