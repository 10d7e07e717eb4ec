namespace Osprey.Node.Detection;

/// <summary>Registers the rule sets, streaming detection on ingest and the YARA scan of objects arriving in Storage.</summary>
public static class DetectionServiceCollectionExtensions
{
    public static IServiceCollection AddDetection(this IServiceCollection services)
    {
        services.AddSingleton<DetectionRuleSet>();
        services.AddSingleton<IocRetroScan>();
        services.AddSingleton<DetectionService>();
        services.AddHostedService(sp => sp.GetRequiredService<DetectionService>());
        services.AddSingleton<YaraRuleSet>();
        services.AddSingleton<YaraStorageScan>();
        services.AddSingleton<ObjectStorage.IStoredObjectObserver>(sp => sp.GetRequiredService<YaraStorageScan>());
        services.AddHostedService(sp => sp.GetRequiredService<YaraStorageScan>());
        return services;
    }
}
