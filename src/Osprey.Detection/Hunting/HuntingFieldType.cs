namespace Osprey.Detection.Hunting;

/// <summary>How a hunting field's values compare, which decides the operators and literals it accepts.</summary>
public enum HuntingFieldType
{
    /// <summary>Text, compared case-insensitively; =, !=, CONTAINS, STARTS, ENDS, IN and their negations.</summary>
    String,

    /// <summary>A 64-bit integer; =, !=, &gt;, &gt;=, &lt;, &lt;=, IN.</summary>
    Integer,

    /// <summary>An instant stored as Unix microseconds; compared like integers, and string literals must be ISO-8601.</summary>
    Time,

    /// <summary>True or false; = and != with "true", "false", 1 or 0.</summary>
    Boolean,
}
