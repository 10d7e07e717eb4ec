using Osprey.Node.Hosting;

namespace Osprey.Node.AgentApi;

/// <summary>Admits only enrolled, unrevoked agents (by their TLS client certificate) and remembers the agent ID for the request.</summary>
public static class AgentCertificateFilter
{
    private const string AgentIdItem = "osprey.agent-id";

    public static TBuilder RequireAgentCertificate<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var certificate = await http.Connection.GetClientCertificateAsync(http.RequestAborted).ConfigureAwait(false);
            var (agentId, error) = http.RequestServices.GetRequiredService<AgentAuthenticator>().Authenticate(certificate);
            if (agentId is null)
            {
                return Problems.Unauthorized(error!);
            }
            http.Items[AgentIdItem] = agentId;
            return await next(context).ConfigureAwait(false);
        });

    /// <summary>The authenticated agent of a request that passed the filter.</summary>
    public static string AgentId(HttpContext http) => (string)http.Items[AgentIdItem]!;
}
