namespace Osprey.Detection.Sigma;

/// <summary>
/// One node of a parsed rule document: a scalar (with whether it was written plain, so <c>null</c> and
/// <c>'null'</c> differ), a sequence or a mapping with its keys in file order; with the line it starts on.
/// </summary>
internal sealed class SigmaYamlNode
{
    private readonly List<SigmaYamlNode> _items = [];
    private readonly List<KeyValuePair<string, SigmaYamlNode>> _entries = [];

    private SigmaYamlNode(SigmaYamlNodeKind kind, string? value, bool plain, int line)
    {
        Kind = kind;
        Value = value;
        IsPlain = plain;
        Line = line;
    }

    public SigmaYamlNodeKind Kind { get; }

    /// <summary>The scalar's text; null for sequences and mappings.</summary>
    public string? Value { get; }

    /// <summary>True for an unquoted scalar (only those can mean null, true, false or a number).</summary>
    public bool IsPlain { get; }

    /// <summary>1-based line the node starts on.</summary>
    public int Line { get; }

    public IReadOnlyList<SigmaYamlNode> Items => _items;

    public IReadOnlyList<KeyValuePair<string, SigmaYamlNode>> Entries => _entries;

    /// <summary>A mapping key waiting for its value while the document is read.</summary>
    internal string? PendingKey { get; set; }

    /// <summary>True for a plain <c>null</c>, <c>~</c> or empty scalar.</summary>
    public bool IsNull => Kind == SigmaYamlNodeKind.Scalar && IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public static SigmaYamlNode Scalar(string value, bool plain, int line) => new(SigmaYamlNodeKind.Scalar, value, plain, line);

    public static SigmaYamlNode Sequence(int line) => new(SigmaYamlNodeKind.Sequence, null, false, line);

    public static SigmaYamlNode Mapping(int line) => new(SigmaYamlNodeKind.Mapping, null, false, line);

    /// <summary>The value of <paramref name="key"/> in a mapping (exact key), or null.</summary>
    public SigmaYamlNode? Get(string key)
    {
        foreach (var entry in _entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return entry.Value;
            }
        }

        return null;
    }

    internal void Add(SigmaYamlNode item) => _items.Add(item);

    internal bool TryAdd(string key, SigmaYamlNode value)
    {
        if (Get(key) is not null)
        {
            return false;
        }

        _entries.Add(new(key, value));
        return true;
    }

    /// <summary>A mapping with this mapping's entries overlaid by <paramref name="overlay"/>'s, nested mappings merged the same way.</summary>
    public SigmaYamlNode MergedWith(SigmaYamlNode overlay)
    {
        var merged = Mapping(overlay.Line);
        foreach (var (key, value) in _entries)
        {
            var other = overlay.Get(key);
            merged._entries.Add(new(key, other is null ? value
                : value.Kind == SigmaYamlNodeKind.Mapping && other.Kind == SigmaYamlNodeKind.Mapping ? value.MergedWith(other) : other));
        }

        foreach (var (key, value) in overlay._entries)
        {
            if (Get(key) is null)
            {
                merged._entries.Add(new(key, value));
            }
        }

        return merged;
    }

    /// <summary>This mapping without <paramref name="key"/>.</summary>
    public SigmaYamlNode Without(string key)
    {
        var copy = Mapping(Line);
        foreach (var entry in _entries)
        {
            if (!string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                copy._entries.Add(entry);
            }
        }

        return copy;
    }
}
