using System.Threading.Channels;

namespace Osprey.Node.Storage;

/// <summary>
/// Group fsync. The writer commits with <c>synchronous = NORMAL</c> (its commit writes the WAL but does not wait
/// for the disk) and hands the committed batches here; this loop fsyncs the WAL file and only then answers them.
/// One fsync covers every commit written before it, and the writer inserts the next group while the disk
/// flushes the last one, instead of waiting for it. A batch is still on disk before it is acknowledged: the WAL
/// frames of its commit were written before the fsync began. (A checkpoint may copy those frames into the
/// database and restart the WAL first; under NORMAL SQLite fsyncs the WAL before a checkpoint and the database
/// after it, so they are durable either way.)
/// </summary>
public sealed partial class SqliteEventStore
{
    private readonly Channel<CommittedGroup> _committed = Channel.CreateUnbounded<CommittedGroup>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Highest contiguous sequence per agent that is on disk (what sync replies report).</summary>
    private readonly Dictionary<string, ulong> _durableAcked = new(StringComparer.Ordinal);

    private Task? _syncTask;

    private sealed record CommittedGroup(List<IngestWork> Works, IngestResult[] Results);

    private async Task SyncLoopAsync()
    {
        using var wal = new FileStream(_path + "-wal", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        var groups = new List<CommittedGroup>();
        var reader = _committed.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            groups.Clear();
            while (reader.TryRead(out var group))
            {
                groups.Add(group);
            }
            Exception? failure = null;
            try
            {
                wal.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                // The kernel may have dropped the dirty pages it could not write: nothing of these commits can be
                // called durable. Agents keep the batches and send them again.
                failure = e;
                LogFsyncFailed(_logger, e);
            }
            foreach (var group in groups)
            {
                for (var i = 0; i < group.Works.Count; i++)
                {
                    if (failure is not null)
                    {
                        group.Works[i].Completion.TrySetException(new IOException($"the events database could not flush the batch to disk: {failure.Message}", failure));
                        continue;
                    }
                    if (group.Results[i].Error is null)
                    {
                        lock (_rangesLock)
                        {
                            _durableAcked[group.Works[i].AgentId] = Math.Max(group.Results[i].AckedSequence, _durableAcked.GetValueOrDefault(group.Works[i].AgentId));
                        }
                    }
                    group.Works[i].Completion.TrySetResult(group.Results[i]);
                }
            }
        }
    }
}
