namespace Osprey.Node.Detection;

/// <summary>Registers the rule set and streaming detection on ingest.</summary>
public static class DetectionServiceCollectionExtensions
{
    public static IServiceCollection AddDetection(this IServiceCollection services)
    {
        services.AddSingleton<DetectionRuleSet>();
        services.AddSingleton<IocRetroScan>();
        services.AddSingleton<DetectionService>();
        services.AddHostedService(sp => sp.GetRequiredService<DetectionService>());
        return services;
    }
}
