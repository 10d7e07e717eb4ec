namespace Osprey.Detection.OpenIoc;

/// <summary>A node of an indicator tree: an <see cref="IocIndicator"/> or an <see cref="IocItem"/>, named by its id.</summary>
public abstract class IocNode
{
    private protected IocNode(string id, int line, int ordinal)
    {
        Id = id;
        Line = line;
        Ordinal = ordinal;
    }

    /// <summary>The id attribute (unique within the document), reported as the matched branch.</summary>
    public string Id { get; }

    /// <summary>1-based line of the element in the document.</summary>
    public int Line { get; }

    /// <summary>Position of the node in document order (0-based), so matched branches list in reading order.</summary>
    public int Ordinal { get; }
}
