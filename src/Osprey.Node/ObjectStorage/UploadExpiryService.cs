namespace Osprey.Node.ObjectStorage;

/// <summary>Discards abandoned uploads every quarter of an hour.</summary>
public sealed class UploadExpiryService(ObjectStore store, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(15), time);
        do
        {
            store.ExpireUploads();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
