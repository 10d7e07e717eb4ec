using Osprey.Detection.Yara;
using Osprey.Node.Storage;

namespace Osprey.Node.Detection;

/// <summary>
/// The enabled compiled YARA rule files, compiled into one set and published with one reference write. A replaced set
/// is not disposed: a scan may still hold it, and its native rules are freed by its handle's finalizer once unused.
/// </summary>
public sealed partial class YaraRuleSet(INodeStore store, ILogger<YaraRuleSet> logger)
{
    private readonly Lock _rebuild = new();
    private YaraSnapshot _current = YaraSnapshot.Empty;

    public YaraSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Loads the enabled compiled YARA rules and publishes a new set.</summary>
    public YaraSnapshot Rebuild()
    {
        lock (_rebuild)
        {
            var stored = store.ListRules(new RuleFilter { Kind = YaraImport.Kind, Status = "compiled", Enabled = true, Limit = int.MaxValue });
            var byNamespace = stored.ToDictionary(r => r.SourceName, StringComparer.Ordinal);
            YaraRules? rules = null;
            if (stored.Count > 0)
            {
                try
                {
                    var (built, files) = YaraCompiler.Compile([.. stored.Select(r => new YaraSource(r.SourceName, r.Content))]);
                    foreach (var bad in files.Where(f => !f.Compiled))
                    {
                        // libyara changed since the import: the file no longer compiles here.
                        LogRuleNoLongerCompiles(logger, byNamespace[bad.Name].RuleId, bad.Reason ?? "");
                        byNamespace.Remove(bad.Name);
                    }
                    rules = built;
                }
                catch (Exception e) when (e is YaraException or YaraCompileException)
                {
                    LogBuildFailed(logger, e);
                    byNamespace.Clear();
                }
            }
            var snapshot = new YaraSnapshot(rules, byNamespace);
            Volatile.Write(ref _current, snapshot);
            LogRebuilt(logger, byNamespace.Count, rules?.RuleCount ?? 0);
            return snapshot;
        }
    }

    [LoggerMessage(EventId = 4060, Level = LogLevel.Information, Message = "YARA rule set rebuilt with {Files} enabled files ({Rules} rules)")]
    private static partial void LogRebuilt(ILogger logger, int files, int rules);

    [LoggerMessage(EventId = 4061, Level = LogLevel.Warning, Message = "YARA rule {RuleId} no longer compiles and is left out: {Message}")]
    private static partial void LogRuleNoLongerCompiles(ILogger logger, string ruleId, string message);

    [LoggerMessage(EventId = 4062, Level = LogLevel.Error, Message = "The YARA rule set could not be built; objects in Storage are not scanned until the rules change")]
    private static partial void LogBuildFailed(ILogger logger, Exception exception);
}
