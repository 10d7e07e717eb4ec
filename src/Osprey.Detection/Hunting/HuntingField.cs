namespace Osprey.Detection.Hunting;

/// <summary>A field a hunting query can filter on: a typed column, or a path into the JSON payload column.</summary>
/// <remarks>
/// Every name that ends up in SQL (column, JSON column, path segments) is checked here to be an ASCII
/// identifier, so no schema, however it is built, can put other text into the compiled SQL.
/// </remarks>
public sealed class HuntingField
{
    private HuntingField(string name, HuntingFieldType type, string? column, string? jsonColumn, IReadOnlyList<string> jsonPath, bool isList, PayloadScope? scope, string? keyColumn = null)
    {
        KeyColumn = keyColumn;
        Name = name;
        Type = type;
        Column = column;
        JsonColumn = jsonColumn;
        JsonPath = jsonPath;
        IsList = isList;
        Scope = scope;
    }

    /// <summary>The canonical hunting name, for example <c>CommandLine</c> or <c>Parent.CommandLine</c>.</summary>
    public string Name { get; }

    /// <summary>How values compare.</summary>
    public HuntingFieldType Type { get; }

    /// <summary>The typed column; null for a JSON field.</summary>
    public string? Column { get; }

    /// <summary>
    /// The integer column holding the <see cref="LookupKey"/> of a text column's value, indexed in its place; equality
    /// and IN on the field test the key first so the index serves. Null when the text itself is compared.
    /// </summary>
    public string? KeyColumn { get; }

    /// <summary>The column holding the JSON payload; null for a typed column.</summary>
    public string? JsonColumn { get; }

    /// <summary>The JSON path segments (proto field names); empty for a typed column.</summary>
    public IReadOnlyList<string> JsonPath { get; }

    /// <summary>True for a repeated JSON field: a condition holds when it holds for any element.</summary>
    public bool IsList { get; }

    /// <summary>The event types whose payload declares this JSON field; null when unknown.</summary>
    public PayloadScope? Scope { get; }

    /// <summary>True when the value lives in the JSON payload column.</summary>
    public bool IsJson => JsonColumn is not null;

    /// <summary>A field stored in its own typed column.</summary>
    public static HuntingField ForColumn(string name, string column, HuntingFieldType type)
    {
        CheckName(name);
        CheckIdentifier(column, nameof(column));
        CheckType(type);
        return new HuntingField(name, type, column, null, [], false, null);
    }

    /// <summary>A text field stored in its own column, looked up through the <see cref="LookupKey"/> in <paramref name="keyColumn"/>.</summary>
    public static HuntingField ForKeyedColumn(string name, string column, string keyColumn)
    {
        CheckName(name);
        CheckIdentifier(column, nameof(column));
        CheckIdentifier(keyColumn, nameof(keyColumn));
        return new HuntingField(name, HuntingFieldType.String, column, null, [], false, null, keyColumn);
    }

    /// <summary>A field read from the JSON column at <paramref name="path"/>.</summary>
    public static HuntingField ForJson(string name, string jsonColumn, IReadOnlyList<string> path, HuntingFieldType type, bool isList = false, PayloadScope? scope = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckName(name);
        CheckIdentifier(jsonColumn, nameof(jsonColumn));
        CheckType(type);
        if (path.Count == 0)
        {
            throw new ArgumentException("A JSON path needs at least one segment.", nameof(path));
        }

        foreach (var segment in path)
        {
            CheckIdentifier(segment, nameof(path));
        }

        return new HuntingField(name, type, null, jsonColumn, [.. path], isList, scope);
    }

    /// <inheritdoc/>
    public override string ToString() => IsJson ? $"{Name} ({Type}, {JsonColumn}:$.{string.Join('.', JsonPath)})" : $"{Name} ({Type}, {Column})";

    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HuntingNames.IsFieldName(name))
        {
            throw new ArgumentException("A field name is identifiers joined by dots.", nameof(name));
        }
    }

    private static void CheckIdentifier(string value, string parameter)
    {
        ArgumentNullException.ThrowIfNull(value, parameter);
        if (!HuntingNames.IsIdentifier(value))
        {
            throw new ArgumentException("'" + value + "' is not an ASCII identifier.", parameter);
        }
    }

    private static void CheckType(HuntingFieldType type)
    {
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }
}
