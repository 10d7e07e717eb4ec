using Microsoft.Extensions.Options;
using Osprey.Node.Configuration;

namespace Osprey.Node.Storage;

/// <summary>Applies the events retention (age and size) at start and every hour.</summary>
public sealed class RetentionService(IEventStore events, IOptions<NodeOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            events.ApplyRetention(time.GetUtcNow(), options.Value.RetentionDays, options.Value.RetentionMaxBytes);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
