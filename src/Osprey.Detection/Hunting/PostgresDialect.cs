namespace Osprey.Detection.Hunting;

/// <summary>PostgreSQL: lower() for text equality, ILIKE for substrings, jsonb path operators for the payload, lists passed as one array parameter.</summary>
public sealed class PostgresDialect : SqlDialect
{
    private PostgresDialect()
    {
    }

    /// <summary>The one instance.</summary>
    public static PostgresDialect Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "postgres";

    internal override string FalseValue => "false";

    internal override string JsonText(HuntingField field) => $"({Json(field)} #>> {Path(field)})";

    internal override string JsonInteger(HuntingField field) => $"({Json(field)} #>> {Path(field)})::numeric";

    internal override string JsonBoolean(HuntingField field) => $"({Json(field)} #>> {Path(field)})::boolean";

    // jsonb_array_elements_text fails on a non-array, so anything else is treated as no elements.
    internal override string JsonElements(HuntingField field) =>
        $"jsonb_array_elements_text(CASE WHEN jsonb_typeof({Json(field)} #> {Path(field)}) = 'array' THEN {Json(field)} #> {Path(field)} END) AS j(value)";

    internal override string Element(HuntingFieldType type) => type switch
    {
        HuntingFieldType.String => "j.value",
        HuntingFieldType.Integer or HuntingFieldType.Time => "(j.value)::numeric",
        _ => "(j.value)::boolean",
    };

    internal override string TextEquals(string value, string parameter) => $"lower({value}) = lower({parameter})";

    internal override string TextLike(string value, string parameter) => $"{value} ILIKE {parameter} ESCAPE '\\'";

    internal override string TextIn(string value, string parameter) => $"lower({value}) IN (SELECT lower(v) FROM unnest({parameter}) AS u(v))";

    internal override string IntegerIn(string value, string parameter) => $"{value} = ANY({parameter})";

    internal override object TextList(IReadOnlyList<string> values) => values.ToArray();

    internal override object IntegerList(IReadOnlyList<long> values) => values.ToArray();

    internal override object Boolean(bool value) => value;

    internal override string TextSortKey(string value) => $"lower({value})";

    private static string Json(HuntingField field) => Quote(field.JsonColumn!) + "::jsonb";

    // Segments are checked identifiers, so they need no quoting inside the text-array literal.
    private static string Path(HuntingField field) => "'{" + string.Join(',', field.JsonPath) + "}'";
}
