namespace Osprey.Node.Hosting;

/// <summary>Operator roles, from most to least privileged.</summary>
public static class Roles
{
    public const string Administrator = "administrator";
    public const string SeniorSecurityOfficer = "senior-security-officer";
    public const string SecurityOfficer = "security-officer";
    public const string SecurityAuditor = "security-auditor";

    public static readonly IReadOnlyList<string> All = [Administrator, SeniorSecurityOfficer, SecurityOfficer, SecurityAuditor];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
