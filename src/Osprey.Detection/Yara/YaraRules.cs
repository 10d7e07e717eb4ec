namespace Osprey.Detection.Yara;

/// <summary>
/// A compiled, immutable YARA rule set. Shared by any number of threads; each scans with its own
/// <see cref="YaraScanner"/>. Disposing it frees the native rules once the last scanner is gone.
/// </summary>
public sealed class YaraRules : IDisposable
{
    internal YaraRules(YaraRulesHandle handle, IReadOnlyList<string> sources, IReadOnlyList<YaraDiagnostic> warnings)
    {
        Handle = handle;
        Sources = sources;
        Warnings = warnings;
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            Rules = YaraLayout.PublicRules(handle.DangerousGetHandle());
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>The names of the files compiled in (each is a namespace).</summary>
    public IReadOnlyList<string> Sources { get; }

    public IReadOnlyList<YaraDiagnostic> Warnings { get; }

    /// <summary>The public (reportable) rules in the set, in compile order.</summary>
    public IReadOnlyList<YaraRuleInfo> Rules { get; }

    public int RuleCount => Rules.Count;

    internal YaraRulesHandle Handle { get; }

    /// <summary>A scanner for one thread.</summary>
    public YaraScanner CreateScanner(YaraScanSettings? settings = null) => new(this, settings ?? new YaraScanSettings());

    public void Dispose() => Handle.Dispose();
}
