using System.Globalization;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.HostState;

/// <summary>The account a unit's service runs as (User=, DynamicUser=, root by default) and accounts named in crontabs, as UserRefs with IDs.</summary>
internal static class ServiceAccount
{
    public static UserRef Of(SensorContext context, PasswdIndex passwd, SystemdUnitFile unit, string unitName)
    {
        var user = unit.Last("Service", "User");
        if (user.Length == 0)
        {
            // A dynamic user is allocated at start under the unit's name; without User= a system service runs as root.
            return unit.Last("Service", "DynamicUser") is "yes" or "true" or "1" or "on"
                ? new UserRef { Name = Path.GetFileNameWithoutExtension(unitName) }
                : ByName(context, passwd, "root");
        }
        return uint.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            ? context.Processes.UserRefOf(uid)
            : ByName(context, passwd, user);
    }

    public static UserRef ByName(SensorContext context, PasswdIndex passwd, string name) =>
        passwd.Find(name) is { } ids
            ? new UserRef { Name = name, Id = ids.Uid.ToString(CultureInfo.InvariantCulture) }
            : new UserRef { Name = name };
}
