namespace Osprey.Detection.Hunting;

/// <summary>Properties of <see cref="ComparisonOperator"/> shared by the parser, the formatter and the compiler.</summary>
internal static class ComparisonOperatorExtensions
{
    /// <summary>True for the complement forms (!=, NOT CONTAINS, NOT STARTS, NOT ENDS).</summary>
    public static bool IsNegated(this ComparisonOperator op) =>
        op is ComparisonOperator.NotEqual or ComparisonOperator.NotContains or ComparisonOperator.NotStartsWith or ComparisonOperator.NotEndsWith;

    /// <summary>The positive form whose complement <paramref name="op"/> is (or <paramref name="op"/> itself).</summary>
    public static ComparisonOperator Positive(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.NotEqual => ComparisonOperator.Equal,
        ComparisonOperator.NotContains => ComparisonOperator.Contains,
        ComparisonOperator.NotStartsWith => ComparisonOperator.StartsWith,
        ComparisonOperator.NotEndsWith => ComparisonOperator.EndsWith,
        _ => op,
    };

    /// <summary>True for CONTAINS, STARTS and ENDS and their negations.</summary>
    public static bool IsTextMatch(this ComparisonOperator op) =>
        op.Positive() is ComparisonOperator.Contains or ComparisonOperator.StartsWith or ComparisonOperator.EndsWith;

    /// <summary>True for the ordering operators &gt;, &gt;=, &lt; and &lt;=.</summary>
    public static bool IsOrdering(this ComparisonOperator op) =>
        op is ComparisonOperator.GreaterThan or ComparisonOperator.GreaterThanOrEqual or ComparisonOperator.LessThan or ComparisonOperator.LessThanOrEqual;

    /// <summary>The operator as the query language writes it.</summary>
    public static string ToQueryText(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.Contains => "CONTAINS",
        ComparisonOperator.NotContains => "NOT CONTAINS",
        ComparisonOperator.StartsWith => "STARTS",
        ComparisonOperator.NotStartsWith => "NOT STARTS",
        ComparisonOperator.EndsWith => "ENDS",
        ComparisonOperator.NotEndsWith => "NOT ENDS",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.GreaterThanOrEqual => ">=",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    /// <summary>The SQL comparison for an ordering or equality operator.</summary>
    public static string ToSql(this ComparisonOperator op) => op switch
    {
        ComparisonOperator.Equal => "=",
        ComparisonOperator.GreaterThan => ">",
        ComparisonOperator.GreaterThanOrEqual => ">=",
        ComparisonOperator.LessThan => "<",
        ComparisonOperator.LessThanOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
