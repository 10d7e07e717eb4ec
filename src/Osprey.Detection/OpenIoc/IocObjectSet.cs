namespace Osprey.Detection.OpenIoc;

/// <summary>The objects an evaluation may bind items to, grouped by item type (case-insensitive).</summary>
public sealed class IocObjectSet
{
    private readonly Dictionary<string, List<IIocObject>> _byDocument = new(StringComparer.OrdinalIgnoreCase);

    public IocObjectSet(IEnumerable<IIocObject> objects)
    {
        foreach (var o in objects)
        {
            Add(o);
        }
    }

    public void Add(IIocObject o)
    {
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
}
