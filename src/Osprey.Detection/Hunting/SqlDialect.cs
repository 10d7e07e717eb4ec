namespace Osprey.Detection.Hunting;

/// <summary>The SQL flavour hunting queries compile to; only <see cref="SqliteDialect"/> and <see cref="PostgresDialect"/> exist.</summary>
/// <remarks>
/// Every member receives either identifiers already checked by <see cref="HuntingField"/> or parameter
/// names made by the compiler; none receives user text.
/// </remarks>
public abstract class SqlDialect
{
    private protected SqlDialect()
    {
    }

    /// <summary>A short name for logs ("sqlite", "postgres").</summary>
    public abstract string Name { get; }

    /// <summary>The SQL for boolean false where a boolean value is stored.</summary>
    internal abstract string FalseValue { get; }

    /// <summary>Quotes a checked identifier.</summary>
    internal static string Quote(string identifier) => "\"" + identifier + "\"";

    /// <summary>The JSON value at the field's path as text (NULL when absent).</summary>
    internal abstract string JsonText(HuntingField field);

    /// <summary>The JSON value at the field's path as an integer (NULL when absent); proto int64 values are JSON strings.</summary>
    internal abstract string JsonInteger(HuntingField field);

    /// <summary>The JSON value at the field's path as a stored boolean (NULL when absent).</summary>
    internal abstract string JsonBoolean(HuntingField field);

    /// <summary>A FROM source with one row per element of the JSON array at the field's path, aliased <c>j</c>.</summary>
    internal abstract string JsonElements(HuntingField field);

    /// <summary>The current element of <see cref="JsonElements"/> as the field's type.</summary>
    internal abstract string Element(HuntingFieldType type);

    /// <summary>Case-insensitive text equality of an expression and a parameter.</summary>
    internal abstract string TextEquals(string value, string parameter);

    /// <summary>Case-insensitive LIKE of an expression against an escaped pattern parameter (escape character backslash).</summary>
    internal abstract string TextLike(string value, string parameter);

    /// <summary>Case-insensitive membership of an expression in the list parameter made by <see cref="TextList"/>.</summary>
    internal abstract string TextIn(string value, string parameter);

    /// <summary>Membership of an integer expression in the list parameter made by <see cref="IntegerList"/>.</summary>
    internal abstract string IntegerIn(string value, string parameter);

    /// <summary>The parameter value carrying a list of strings for <see cref="TextIn"/>.</summary>
    internal abstract object TextList(IReadOnlyList<string> values);

    /// <summary>The parameter value carrying a list of integers for <see cref="IntegerIn"/>.</summary>
    internal abstract object IntegerList(IReadOnlyList<long> values);

    /// <summary>The parameter value for a boolean.</summary>
    internal abstract object Boolean(bool value);

    /// <summary>The ORDER BY key for a text expression, ordered case-insensitively.</summary>
    internal abstract string TextSortKey(string value);
}
