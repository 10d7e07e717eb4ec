using Osprey.Agent.Interop;

namespace Osprey.Agent.Response.Isolation;

/// <summary>
/// The safety catch tests and benchmarks put on the agent: when <c>OSPREY_AGENT_ISOLATION_NETNS</c> names a network
/// namespace, the agent touches the firewall only while it runs inside that namespace (<c>/run/netns/NAME</c>), and
/// never in the namespace of PID 1. Unset, as deployed, the agent isolates the namespace it runs in.
/// </summary>
internal sealed class IsolationGuard(string? requiredNamespace)
{
    public const string Variable = "OSPREY_AGENT_ISOLATION_NETNS";

    public static IsolationGuard FromEnvironment() => new(Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } name ? name : null);

    /// <summary>Null when the firewall may be changed here, else why not.</summary>
    public string? Refusal()
    {
        if (requiredNamespace is null)
        {
            return null;
        }
        if (requiredNamespace.Contains('/', StringComparison.Ordinal) || requiredNamespace is "." or "..")
        {
            return $"{Variable}='{requiredNamespace}' is not a namespace name";
        }
        var own = Libc.Stat("/proc/self/ns/net", followLinks: true, out _);
        var required = Libc.Stat("/run/netns/" + requiredNamespace, followLinks: true, out _);
        var init = Libc.Stat("/proc/1/ns/net", followLinks: true, out _);
        if (own is null || required is null || own.Device != required.Device || own.Inode != required.Inode)
        {
            return $"{Variable} allows isolation only inside the network namespace '{requiredNamespace}', and the agent does not run in it";
        }
        // PID 1's namespace may be unreadable (a sandbox without ptrace rights over it); the check above still holds then.
        if (init is not null && init.Device == own.Device && init.Inode == own.Inode)
        {
            return $"{Variable} is set and the agent runs in the machine's own network namespace";
        }
        return null;
    }
}
