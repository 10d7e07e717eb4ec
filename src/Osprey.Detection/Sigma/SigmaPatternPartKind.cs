namespace Osprey.Detection.Sigma;

/// <summary>What one part of a Sigma string matches.</summary>
internal enum SigmaPatternPartKind
{
    /// <summary>The part's text, exactly (case folded unless cased).</summary>
    Literal,

    /// <summary><c>*</c>: any run of characters, also none.</summary>
    AnyRun,

    /// <summary><c>?</c>: exactly one character.</summary>
    AnyChar,

    /// <summary>One of the windash characters <c>- / – — ―</c>.</summary>
    Dash,
}
