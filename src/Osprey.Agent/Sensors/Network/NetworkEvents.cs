using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Network;

/// <summary>The envelope shared by network events: type, time, and the owning process and its user where known.</summary>
internal static class NetworkEvents
{
    /// <summary>
    /// A new event of <paramref name="type"/> attributed to <paramref name="owner"/>; without one, the user is the
    /// socket's own uid when <paramref name="socketUid"/> is given.
    /// </summary>
    public static Event Create(SensorContext context, EventType type, ProcessInfo? owner, uint? socketUid)
    {
        var e = new Event { Type = type, TimeUs = context.NowUs() };
        if (owner is not null)
        {
            e.Process = ProcessTable.Ref(owner);
            if (owner.ParentUniquePid is { } parent)
            {
                e.ParentUniquePid = parent;
            }
            e.User = context.Processes.UserRefOf(owner.Uid);
        }
        else if (socketUid is { } uid)
        {
            e.User = context.Processes.UserRefOf(uid);
        }
        return e;
    }
}
