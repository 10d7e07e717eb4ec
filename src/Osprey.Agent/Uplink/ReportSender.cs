using Microsoft.Extensions.Logging;
using Osprey.Agent.Outbox;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Uplink;

/// <summary>Delivers task reports from the outbox in order; a report leaves the outbox only once the node has stored it.</summary>
public sealed partial class ReportSender(EventOutbox outbox, NodeConnector node, Backoff backoff, TimeProvider time, ILogger<ReportSender> logger)
{
    private const int BatchMax = 64;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Reports were appended.</summary>
    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var reports = outbox.ReadReports(BatchMax);
            if (reports.Count == 0)
            {
                await _signal.WaitAsync(IdleCheck, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var batch = new TaskReportBatch();
            batch.Reports.AddRange(reports.Select(r => TaskReport.Parser.ParseFrom(r.Body)));
            try
            {
                await node.PostAsync("/agent/v1/reports", batch, RequestTimeout, cancellationToken).ConfigureAwait(false);
                outbox.DeleteReports(reports[^1].Id);
                backoff.Reset();
            }
            catch (Exception e) when (e is NodeUnavailableException or NodeRefusedException)
            {
                var delay = backoff.NextDelay();
                LogSendFailed(logger, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Sending task reports failed: {Reason}; retrying in {Seconds:0.0} s")]
    private static partial void LogSendFailed(ILogger logger, string reason, double seconds);
}
