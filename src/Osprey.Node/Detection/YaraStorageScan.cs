using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Osprey.Detection.Yara;
using Osprey.Node.Alerts;
using Osprey.Node.Configuration;
using Osprey.Node.Hosting;
using Osprey.Node.ObjectStorage;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// YARA on Storage: every object committed to Storage is queued (a bounded queue, off the upload's request path) and
/// scanned by one worker with the current YARA rule set; each matching rule becomes a "yara" alert on the agent that
/// uploaded the object. When the queue is full the object is not scanned (counted and logged); the upload is never held up.
/// </summary>
public sealed partial class YaraStorageScan : IStoredObjectObserver, IHostedService, IAsyncDisposable
{
    private readonly YaraRuleSet _rules;
    private readonly INodeStore _store;
    private readonly ObjectStoragePaths _paths;
    private readonly TimeProvider _time;
    private readonly ILogger<YaraStorageScan> _logger;
    private readonly DetectionOptions _options;
    private readonly Channel<StoredObject> _queue;
    private Task _worker = Task.CompletedTask;
    private long _scanned;
    private long _matched;
    private long _dropped;

    public YaraStorageScan(YaraRuleSet rules, INodeStore store, ObjectStoragePaths paths, TimeProvider time, IOptions<NodeOptions> options, ILogger<YaraStorageScan> logger)
    {
        _rules = rules;
        _store = store;
        _paths = paths;
        _time = time;
        _logger = logger;
        _options = options.Value.Detection;
        _queue = Channel.CreateBounded<StoredObject>(new BoundedChannelOptions(_options.YaraQueueObjects) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Objects scanned, objects some rule matched, objects left unscanned because the queue was full.</summary>
    public (long Scanned, long Matched, long Dropped) Counters => (Interlocked.Read(ref _scanned), Interlocked.Read(ref _matched), Interlocked.Read(ref _dropped));

    public void OnStored(StoredObject stored)
    {
        if (_rules.Current.Rules is null)
        {
            return;
        }
        if (!_queue.Writer.TryWrite(stored))
        {
            LogQueueFull(_logger, stored.Sha256, Interlocked.Increment(ref _dropped));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _rules.Rebuild();
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _worker.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task RunAsync()
    {
        var settings = new YaraScanSettings { TimeoutSeconds = _options.YaraTimeoutSeconds, MaxStringMatches = 1 };
        YaraRules? scannerRules = null;
        YaraScanner? scanner = null;
        try
        {
            await foreach (var stored in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var snapshot = _rules.Current;
                if (snapshot.Rules is null)
                {
                    continue;
                }
                if (_options.YaraMaxObjectBytes > 0 && stored.Size > _options.YaraMaxObjectBytes)
                {
                    LogTooLarge(_logger, stored.Sha256, stored.Size, _options.YaraMaxObjectBytes);
                    continue;
                }
                if (!ReferenceEquals(scannerRules, snapshot.Rules))
                {
                    scanner?.Dispose();
                    scanner = snapshot.Rules.CreateScanner(settings);
                    scannerRules = snapshot.Rules;
                }
                Scan(scanner!, snapshot, stored);
            }
        }
        finally
        {
            scanner?.Dispose();
        }
    }

    private void Scan(YaraScanner scanner, YaraSnapshot snapshot, StoredObject stored)
    {
        try
        {
            var path = _paths.Object(stored.Sha256);
            var outcome = scanner.ScanFile(path, new YaraExternals(
                Path.GetFileName(stored.Name), stored.Name, Path.GetExtension(stored.Name).ToLowerInvariant(), FileType(path), ""));
            Interlocked.Increment(ref _scanned);
            if (!outcome.Succeeded)
            {
                // CouldNotOpenFile: evicted or deleted since it was stored.
                LogScanFailed(_logger, stored.Sha256, outcome.ErrorMessage);
                return;
            }
            if (outcome.Hits.Count == 0)
            {
                return;
            }
            var now = _time.NowUs();
            var host = stored.AgentId is { Length: > 0 } agentId ? _store.GetAgent(agentId)?.HostName ?? "" : "";
            var hits = outcome.Hits
                .Where(hit => snapshot.ByNamespace.ContainsKey(hit.Namespace))
                .Select(hit => AlertHits.FromObject(snapshot.ByNamespace[hit.Namespace], hit.Rule, stored, host, now))
                .ToList();
            _store.RecordDetections(hits, now);
            Interlocked.Increment(ref _matched);
            LogMatched(_logger, stored.Sha256, hits.Count);
        }
        catch (Exception e)
        {
            LogRecordFailed(_logger, stored.Sha256, e);
        }
    }

    private static string FileType(string path)
    {
        try
        {
            using var file = File.OpenHandle(path);
            Span<byte> head = stackalloc byte[4];
            return YaraExternals.TypeOf(head[..RandomAccess.Read(file, head, 0)]);
        }
        catch (IOException)
        {
            return "";
        }
    }

    [LoggerMessage(EventId = 4063, Level = LogLevel.Warning, Message = "YARA scan queue full: object {Sha256} in Storage is not scanned ({Dropped} so far)")]
    private static partial void LogQueueFull(ILogger logger, string sha256, long dropped);

    [LoggerMessage(EventId = 4064, Level = LogLevel.Information, Message = "Object {Sha256} ({Size} bytes) is over the YARA scan limit of {Limit} bytes; not scanned")]
    private static partial void LogTooLarge(ILogger logger, string sha256, long size, long limit);

    [LoggerMessage(EventId = 4065, Level = LogLevel.Warning, Message = "YARA scan of object {Sha256} failed: {Message}")]
    private static partial void LogScanFailed(ILogger logger, string sha256, string message);

    [LoggerMessage(EventId = 4066, Level = LogLevel.Information, Message = "Object {Sha256} in Storage matched {Rules} YARA rules")]
    private static partial void LogMatched(ILogger logger, string sha256, int rules);

    [LoggerMessage(EventId = 4067, Level = LogLevel.Error, Message = "YARA alerts for object {Sha256} could not be recorded")]
    private static partial void LogRecordFailed(ILogger logger, string sha256, Exception exception);
}
