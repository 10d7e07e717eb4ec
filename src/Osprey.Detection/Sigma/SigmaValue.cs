using System.Text.RegularExpressions;

namespace Osprey.Detection.Sigma;

/// <summary>One value of a detection item after its modifiers, ready to become a matcher.</summary>
internal sealed record SigmaValue(SigmaValueKind Kind)
{
    public SigmaPattern? Pattern { get; init; }

    public byte[]? Bytes { get; init; }

    /// <summary>Regex source, CIDR text, field name or number text, as written.</summary>
    public string Text { get; init; } = "";

    public RegexOptions RegexOptions { get; init; }

    /// <summary>For Number: the comparison modifier (gt, gte, lt, lte).</summary>
    public SigmaModifier Comparison { get; init; }

    public double Number { get; init; }

    public static SigmaValue Of(SigmaPattern pattern) => new(SigmaValueKind.Pattern) { Pattern = pattern };
}
