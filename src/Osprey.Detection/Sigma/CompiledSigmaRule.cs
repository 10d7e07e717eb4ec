using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>
/// A Sigma rule ready for <see cref="SigmaEngine"/>: its metadata, where it came from, and its condition compiled for
/// each kind of Osprey record its log source maps to. Immutable and safe to share between threads.
/// </summary>
public sealed class CompiledSigmaRule
{
    internal CompiledSigmaRule(SigmaRule rule, string source, IReadOnlyList<SigmaCompiledView> views, IReadOnlyList<string> warnings)
    {
        Rule = rule;
        Source = source;
        Views = views;
        Warnings = warnings;
        RecordKinds = [.. views.Select(v => v.Kind.Name)];
        EventTypes = [.. views.Select(v => v.Kind.EventType).Distinct()];
    }

    public SigmaRule Rule { get; }

    /// <summary>The file (or name) the rule was compiled from.</summary>
    public string Source { get; }

    /// <summary>The record kinds the rule is evaluated against ("process_creation", "auditd EXECVE (process start)", …).</summary>
    public IReadOnlyList<string> RecordKinds { get; }

    /// <summary>The Osprey event types that can match the rule.</summary>
    public IReadOnlyList<EventType> EventTypes { get; }

    /// <summary>What the compiler noticed without refusing the rule (a search that can never match, an ignored timeframe).</summary>
    public IReadOnlyList<string> Warnings { get; }

    internal IReadOnlyList<SigmaCompiledView> Views { get; }

    public override string ToString() => Rule.Id is null ? Rule.Title : $"{Rule.Title} ({Rule.Id})";
}
