using Osprey.Node.Configuration;

namespace Osprey.Node.ObjectStorage;

/// <summary>Registers Storage: the object store, its index in node.db, its JSON contract and the upload expiry sweep.</summary>
public static class ObjectStorageServiceCollectionExtensions
{
    public static IServiceCollection AddObjectStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp => new ObjectStoragePaths(sp.GetRequiredService<NodePaths>()));
        services.AddSingleton<IObjectIndex>(sp => new SqliteObjectIndex(sp.GetRequiredService<NodePaths>().Database));
        services.AddSingleton<ObjectStore>();
        services.AddHostedService<UploadExpiryService>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, StorageJsonContext.Default));
        return services;
    }
}
