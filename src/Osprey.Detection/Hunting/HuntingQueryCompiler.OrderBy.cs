namespace Osprey.Detection.Hunting;

/// <summary>ORDER BY compilation for a sort specification such as <c>EventTime desc</c>.</summary>
public sealed partial class HuntingQueryCompiler
{
    /// <summary>The sort used when none is given.</summary>
    public const string DefaultSort = "EventTime desc";

    /// <summary>
    /// Compiles "Field [asc|desc]" (default <see cref="DefaultSort"/>; direction defaults to asc) to an ORDER BY list
    /// without the keywords, with missing values last; the field resolves through the schema like a query field.
    /// </summary>
    public string CompileOrderBy(string? sort)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            sort = DefaultSort;
        }

        if (sort.Length > HuntingNames.MaxFieldNameLength + 16)
        {
            throw new HuntingQueryException("sort is too long", HuntingNames.MaxFieldNameLength + 16);
        }

        var position = 0;
        var (nameStart, name) = NextWord(sort, ref position);
        var (directionStart, direction) = NextWord(sort, ref position);
        var (extraStart, extra) = NextWord(sort, ref position);
        if (!HuntingNames.IsFieldName(name))
        {
            throw new HuntingQueryException("expected a field name to sort by", nameStart, "found " + HuntingText.Quote(name));
        }

        var descending = direction.Length switch
        {
            0 => false,
            _ when string.Equals(direction, "asc", StringComparison.OrdinalIgnoreCase) => false,
            _ when string.Equals(direction, "desc", StringComparison.OrdinalIgnoreCase) => true,
            _ => throw new HuntingQueryException("expected asc or desc after the sort field", directionStart, "found " + HuntingText.Quote(direction)),
        };
        if (extra.Length > 0)
        {
            throw new HuntingQueryException("expected the end of the sort", extraStart, "found " + HuntingText.Quote(extra));
        }

        var field = Resolve(new FieldReference(name, nameStart));
        if (field.IsList)
        {
            throw new HuntingQueryException($"cannot sort by list field '{field.Name}'", nameStart);
        }

        var value = ValueOf(field);
        var key = field.Type == HuntingFieldType.String ? Dialect.TextSortKey(value) : value;
        return key + (descending ? " DESC" : " ASC") + " NULLS LAST";
    }

    private static (int Start, string Word) NextWord(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        var start = position;
        while (position < text.Length && !char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        return (start, text[start..position]);
    }
}
