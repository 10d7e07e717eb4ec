namespace Osprey.Detection.Hunting;

/// <summary>The operators that compare a field with one value; each Not form is the exact complement of its positive form.</summary>
public enum ComparisonOperator
{
    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>CONTAINS</c></summary>
    Contains,

    /// <summary><c>NOT CONTAINS</c> (or <c>!CONTAINS</c>)</summary>
    NotContains,

    /// <summary><c>STARTS</c></summary>
    StartsWith,

    /// <summary><c>NOT STARTS</c> (or <c>!STARTS</c>)</summary>
    NotStartsWith,

    /// <summary><c>ENDS</c></summary>
    EndsWith,

    /// <summary><c>NOT ENDS</c> (or <c>!ENDS</c>)</summary>
    NotEndsWith,

    /// <summary><c>&gt;</c></summary>
    GreaterThan,

    /// <summary><c>&gt;=</c></summary>
    GreaterThanOrEqual,

    /// <summary><c>&lt;</c></summary>
    LessThan,

    /// <summary><c>&lt;=</c></summary>
    LessThanOrEqual,
}
