namespace Osprey.Detection.OpenIoc;

/// <summary>
/// An IndicatorItem: a condition on one term (Context <c>search</c>, such as <c>FileItem/Md5sum</c>) of the objects of
/// one item type (Context <c>document</c>, such as <c>FileItem</c>), with its Content compiled to a test.
/// </summary>
public sealed class IocItem : IocNode
{
    internal IocItem(string id, int line, int ordinal, IocItemSpec spec, IocValueTest test)
        : base(id, line, ordinal)
    {
        Condition = spec.Condition;
        Negate = spec.Negate;
        PreserveCase = spec.PreserveCase;
        Document = spec.Document;
        Search = spec.Search;
        ContextType = spec.ContextType;
        DataType = spec.DataType;
        Content = spec.Content;
        ValueTest = test;
    }

    public IocCondition Condition { get; }

    /// <summary>negate="true", or the 1.0 conditions isnot / containsnot.</summary>
    public bool Negate { get; }
    public bool PreserveCase { get; }

    /// <summary>The item type (Context document): "FileItem", "ProcessItem", "processEvent", ….</summary>
    public string Document { get; }

    /// <summary>The term (Context search): "FileItem/Md5sum".</summary>
    public string Search { get; }

    /// <summary>Context type: "mir", "event", "network", "yara", ….</summary>
    public string ContextType { get; }
    public IocDataType DataType { get; }

    /// <summary>The Content as written.</summary>
    public string Content { get; }

    /// <summary>Parameters (1.1) attached to this item.</summary>
    public IReadOnlyList<IocParameter> Parameters { get; internal set; } = [];

    /// <summary>The compiled condition; see <see cref="Holds"/> for negation.</summary>
    public IocValueTest ValueTest { get; }

    /// <summary>
    /// Whether an object whose term has these values satisfies the item: the condition holds for a value (any of them)
    /// — or, negated, for none. An object without the term (no values) satisfies neither.
    /// </summary>
    public bool Holds(IReadOnlyList<string>? values)
    {
        if (values is null || values.Count == 0)
        {
            return false;
        }
        var any = false;
        for (var i = 0; i < values.Count && !any; i++)
        {
            any = ValueTest.Test(values[i]);
        }
        return any != Negate;
    }

    /// <summary>
    /// The value an object's term must have for the item to hold, when the item is a plain equality (is, not negated,
    /// on text or a hash) that a lookup in an index of the term's values can answer; null otherwise.
    /// </summary>
    public string? EqualityKey => !Negate && ValueTest is TextTest { Condition: IocCondition.Is } text ? text.Content : null;

    /// <summary>Values on which a regular expression ran out of time.</summary>
    public long RegexTimeouts => ValueTest is RegexTest regex ? regex.Timeouts : 0;

    public override string ToString() => $"{Search} {(Negate ? "not " : "")}{Condition} '{Content}'";
}

/// <summary>An IndicatorItem's attributes as read, before its Content is compiled.</summary>
internal readonly record struct IocItemSpec(
    IocCondition Condition, bool Negate, bool PreserveCase, string Document, string Search, string ContextType, IocDataType DataType, string Content);
