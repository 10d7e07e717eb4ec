namespace Osprey.Detection.Sigma;

/// <summary>One part of a <see cref="SigmaPattern"/>; <see cref="Text"/> is set for literals only.</summary>
internal readonly record struct SigmaPatternPart(SigmaPatternPartKind Kind, string Text)
{
    public static readonly SigmaPatternPart AnyRun = new(SigmaPatternPartKind.AnyRun, "");
    public static readonly SigmaPatternPart AnyChar = new(SigmaPatternPartKind.AnyChar, "");
    public static readonly SigmaPatternPart Dash = new(SigmaPatternPartKind.Dash, "");

    public static SigmaPatternPart Literal(string text) => new(SigmaPatternPartKind.Literal, text);
}
