using Osprey.Node.Configuration;

namespace Osprey.Node.Storage;

/// <summary>Registers the node's stores and the retention sweep.</summary>
public static class StorageServiceCollectionExtensions
{
    public static IServiceCollection AddNodeStorage(this IServiceCollection services, NodePaths paths, int eventWriters)
    {
        services.AddSingleton<INodeStore>(_ => new SqliteNodeStore(paths.Database));
        services.AddSingleton<IEventStore>(sp => new SqliteEventStore(
            paths.EventsDatabase, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<SqliteEventStore>>(), eventWriters));
        services.AddHostedService<RetentionService>();
        return services;
    }
}
