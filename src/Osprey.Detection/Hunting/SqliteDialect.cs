using System.Text.Json;

namespace Osprey.Detection.Hunting;

/// <summary>SQLite: NOCASE collation for text, LIKE (ASCII case-insensitive) for substrings, json_extract/json_each for the payload, lists passed as one JSON array parameter.</summary>
public sealed class SqliteDialect : SqlDialect
{
    private SqliteDialect()
    {
    }

    /// <summary>The one instance.</summary>
    public static SqliteDialect Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "sqlite";

    internal override string FalseValue => "0";

    internal override string JsonText(HuntingField field) => $"CAST({Extract(field)} AS TEXT)";

    internal override string JsonInteger(HuntingField field) => $"CAST({Extract(field)} AS INTEGER)";

    internal override string JsonBoolean(HuntingField field) => Extract(field);

    internal override string JsonElements(HuntingField field) => $"json_each({Quote(field.JsonColumn!)}, {Path(field)}) AS j";

    internal override string Element(HuntingFieldType type) => type switch
    {
        HuntingFieldType.String => "CAST(j.value AS TEXT)",
        HuntingFieldType.Integer or HuntingFieldType.Time => "CAST(j.value AS INTEGER)",
        _ => "j.value",
    };

    internal override string TextEquals(string value, string parameter) => $"{value} = {parameter} COLLATE NOCASE";

    internal override string TextLike(string value, string parameter) => $"{value} LIKE {parameter} ESCAPE '\\'";

    internal override string TextIn(string value, string parameter) => $"{value} COLLATE NOCASE IN (SELECT value FROM json_each({parameter}))";

    internal override string IntegerIn(string value, string parameter) => $"{value} IN (SELECT value FROM json_each({parameter}))";

    internal override object TextList(IReadOnlyList<string> values) => JsonSerializer.Serialize(values, HuntingJsonContext.Default.IReadOnlyListString);

    internal override object IntegerList(IReadOnlyList<long> values) => JsonSerializer.Serialize(values, HuntingJsonContext.Default.IReadOnlyListInt64);

    internal override object Boolean(bool value) => value ? 1L : 0L;

    internal override string TextSortKey(string value) => $"{value} COLLATE NOCASE";

    private static string Extract(HuntingField field) => $"json_extract({Quote(field.JsonColumn!)}, {Path(field)})";

    // Segments are checked identifiers, so the path needs no quoting inside the literal.
    private static string Path(HuntingField field) => "'$." + string.Join('.', field.JsonPath) + "'";
}
