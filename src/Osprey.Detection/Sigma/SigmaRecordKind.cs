using System.Collections.Concurrent;
using Osprey.Contracts.V1;

namespace Osprey.Detection.Sigma;

/// <summary>
/// One way an Osprey event appears as a record of a Sigma log source: which event type, which of those events
/// (exec starts only, content writes only, Linux devices only), the fields a rule can name, and the fields
/// keywords search. One event may appear as several records (a process start is an auditd EXECVE, SYSCALL and PATH record).
/// </summary>
internal sealed class SigmaRecordKind
{
    private readonly Dictionary<string, SigmaField> _fields;
    private readonly Func<string, SigmaField?>? _dynamic;
    private readonly ConcurrentDictionary<string, SigmaField?> _dynamicFields = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="keywordFields">Names of the fields keywords search.</param>
    /// <param name="dynamic">Makes fields named by a pattern on first use (auditd a0 … a255).</param>
    /// <param name="hiddenKeywordFields">Fields keywords also search that rules cannot name.</param>
    public SigmaRecordKind(string name, EventType eventType, Func<Event, bool> applies, IReadOnlyList<SigmaField> fields, IReadOnlyList<string> keywordFields,
        Func<string, SigmaField?>? dynamic = null, IReadOnlyList<SigmaField>? hiddenKeywordFields = null)
    {
        Name = name;
        EventType = eventType;
        Applies = applies;
        Fields = fields;
        _fields = fields.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        KeywordFields = [.. keywordFields.Select(n => _fields[n]), .. hiddenKeywordFields ?? []];
        _dynamic = dynamic;
    }

    /// <summary>"process_creation", "auditd EXECVE (process start)", … as shown in compile results.</summary>
    public string Name { get; }

    public EventType EventType { get; }

    /// <summary>Whether an event of <see cref="EventType"/> is such a record.</summary>
    public Func<Event, bool> Applies { get; }

    public IReadOnlyList<SigmaField> Fields { get; }

    /// <summary>The fields a keyword (a value without a field name) is searched in.</summary>
    public IReadOnlyList<SigmaField> KeywordFields { get; }

    /// <summary>The field named <paramref name="name"/> (case-insensitive), or null when these records do not have it.</summary>
    public SigmaField? Find(string name)
    {
        if (_fields.TryGetValue(name, out var field))
        {
            return field;
        }

        return _dynamic is null ? null : _dynamicFields.GetOrAdd(name, _dynamic);
    }

    public override string ToString() => Name;
}
