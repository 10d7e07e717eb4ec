namespace Osprey.Node.AgentApi;

/// <summary>Registers the agent API's services.</summary>
public static class AgentApiServiceCollectionExtensions
{
    public static IServiceCollection AddAgentApi(this IServiceCollection services)
    {
        services.AddSingleton<AgentAuthenticator>();
        services.AddSingleton<TaskSignals>();
        return services;
    }
}
