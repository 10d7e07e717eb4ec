namespace Osprey.Detection.Sigma;

/// <summary>Bounds a Sigma rule file must stay within: rules are outside input, so none of them may exhaust the node.</summary>
public static class SigmaLimits
{
    /// <summary>Longest rule file, in UTF-16 code units (1 MiB).</summary>
    public const int MaxFileLength = 1024 * 1024;

    /// <summary>Most YAML documents (rules) in one file.</summary>
    public const int MaxDocuments = 1000;

    /// <summary>Deepest nesting of YAML sequences and mappings.</summary>
    public const int MaxYamlDepth = 32;

    /// <summary>Most YAML nodes visited while reading one document, aliases counted each time they are used.</summary>
    public const int MaxYamlNodes = 100_000;

    /// <summary>Most values (after modifiers such as base64offset and expand) in one rule.</summary>
    public const int MaxValues = 20_000;

    /// <summary>Longest single value, wildcard pattern or regular expression.</summary>
    public const int MaxValueLength = 8 * 1024;

    /// <summary>Longest condition text.</summary>
    public const int MaxConditionLength = 8 * 1024;

    /// <summary>Deepest nesting of parentheses and <c>not</c> in a condition.</summary>
    public const int MaxConditionDepth = 64;

    /// <summary>Most alternatives one value may expand into (windash under base64, placeholders).</summary>
    public const int MaxExpansions = 4096;

    /// <summary>Highest auditd EXECVE argument index (<c>a0</c> … <c>a255</c>) a rule may name.</summary>
    public const int MaxArgumentIndex = 255;
}
