namespace Osprey.Node.OperatorApi;

/// <summary>Registers the operator API's JSON contract and ProblemDetails.</summary>
public static class OperatorApiServiceCollectionExtensions
{
    public static IServiceCollection AddOperatorApi(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, OperatorJsonContext.Default));
        return services;
    }
}
