namespace Osprey.Detection.Hunting;

/// <summary>Bounds every hunting query must stay within, so a query cannot exhaust the node or the database.</summary>
public static class HuntingQueryLimits
{
    /// <summary>Longest query text, in UTF-16 code units (16 KiB).</summary>
    public const int MaxQueryLength = 16 * 1024;

    /// <summary>Deepest nesting of parentheses and NOT.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most values in one IN list.</summary>
    public const int MaxInValues = 1000;

    /// <summary>Most conditions (comparisons and IN tests) in one query.</summary>
    public const int MaxTerms = 512;
}
