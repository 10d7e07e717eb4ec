namespace Osprey.Detection.Hunting;

/// <summary>One token of a hunting query: its kind, where it starts, its source text and its decoded value.</summary>
internal readonly record struct HuntingToken(HuntingTokenKind Kind, int Position, string Text, string? StringValue = null, long IntegerValue = 0)
{
    /// <summary>How the token reads in an error message ("end of query", "the string \"x\"", "AND").</summary>
    public string Describe() => Kind switch
    {
        HuntingTokenKind.End => "end of query",
        HuntingTokenKind.String => "the string " + HuntingText.Quote(StringValue ?? string.Empty),
        HuntingTokenKind.Integer => "the number " + Text,
        HuntingTokenKind.Identifier => "the word " + HuntingText.Truncate(Text),
        HuntingTokenKind.And or HuntingTokenKind.Or or HuntingTokenKind.Not or HuntingTokenKind.In
            or HuntingTokenKind.Contains or HuntingTokenKind.Starts or HuntingTokenKind.Ends => Text.ToUpperInvariant(),
        _ => "'" + Text + "'",
    };
}
