namespace Osprey.Detection.OpenIoc;

/// <summary>The objects an evaluation may bind items to, grouped by item type (case-insensitive).</summary>
public sealed class IocObjectSet
{
    private readonly Dictionary<string, List<IIocObject>> _byDocument = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Document, string Search), Dictionary<string, List<int>>> _indexes = new(IndexKeyComparer.Instance);
    private readonly Dictionary<(string Document, string Search), IReadOnlyList<string>?[]> _columns = new(IndexKeyComparer.Instance);

    public IocObjectSet(IEnumerable<IIocObject> objects)
    {
        foreach (var o in objects)
        {
            Add(o);
        }
    }

    public void Add(IIocObject o)
    {
        _indexes.Clear();
        _columns.Clear();
        if (!_byDocument.TryGetValue(o.Document, out var list))
        {
            _byDocument[o.Document] = list = [];
        }
        list.Add(o);
    }

    /// <summary>The objects of one item type, in the order added; empty when there are none.</summary>
    public IReadOnlyList<IIocObject> Of(string document) => _byDocument.TryGetValue(document, out var list) ? list : [];

    /// <summary>How many objects there are of every type together.</summary>
    public int Count => _byDocument.Values.Sum(l => l.Count);

    /// <summary>
    /// The values of one term of every object of <paramref name="document"/>, by index, read once and kept while no
    /// object is added (so a hundred items on one term read it once, not a hundred times).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>?> Column(string document, string search)
    {
        if (!_columns.TryGetValue((document, search), out var column))
        {
            var objects = Of(document);
            column = new IReadOnlyList<string>?[objects.Count];
            for (var i = 0; i < column.Length; i++)
            {
                column[i] = objects[i].Values(search);
            }
            _columns[(document, search)] = column;
        }
        return column;
    }

    /// <summary>
    /// The objects of <paramref name="document"/> whose term <paramref name="search"/> has a value equal to
    /// <paramref name="value"/> ignoring case (indexes in the object list; the caller checks case where it matters).
    /// The index of a term is built on first use, reading the term of every object once, and kept while no object is added.
    /// </summary>
    public IReadOnlyList<int> WithValue(string document, string search, string value)
    {
        if (!_indexes.TryGetValue((document, search), out var index))
        {
            index = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
            var column = Column(document, search);
            for (var i = 0; i < column.Count; i++)
            {
                var values = column[i];
                for (var v = 0; values is not null && v < values.Count; v++)
                {
                    if (!index.TryGetValue(values[v], out var list))
                    {
                        index[values[v]] = list = [];
                    }
                    if (list.Count == 0 || list[^1] != i)
                    {
                        list.Add(i);
                    }
                }
            }
            _indexes[(document, search)] = index;
        }
        return index.TryGetValue(value, out var found) ? found : [];
    }

    private sealed class IndexKeyComparer : IEqualityComparer<(string Document, string Search)>
    {
        public static readonly IndexKeyComparer Instance = new();

        public bool Equals((string Document, string Search) x, (string Document, string Search) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Document, y.Document) && StringComparer.OrdinalIgnoreCase.Equals(x.Search, y.Search);

        public int GetHashCode((string Document, string Search) key) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(key.Document), StringComparer.OrdinalIgnoreCase.GetHashCode(key.Search));
    }
}
