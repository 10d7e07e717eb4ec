using Osprey.Node.Hosting;

namespace Osprey.Node.OperatorApi;

/// <summary>Restricts an endpoint to the listed roles.</summary>
public static class RoleFilter
{
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var user = OperatorAuthentication.Current(context.HttpContext);
            if (user is null || !roles.Contains(user.Role, StringComparer.Ordinal))
            {
                return Problems.Forbidden($"the role '{user?.Role}' may not do this; it needs one of: {string.Join(", ", roles)}");
            }
            return await next(context).ConfigureAwait(false);
        });

    /// <summary>Everyone who may read.</summary>
    public static readonly string[] Readers = [.. Roles.All];

    /// <summary>Everyone who may change things other than users.</summary>
    public static readonly string[] Officers = [Roles.Administrator, Roles.SeniorSecurityOfficer];

    /// <summary>Everyone who works alerts: all but the read-only auditor.</summary>
    public static readonly string[] Responders = [Roles.Administrator, Roles.SeniorSecurityOfficer, Roles.SecurityOfficer];

    public static readonly string[] Administrators = [Roles.Administrator];
}
