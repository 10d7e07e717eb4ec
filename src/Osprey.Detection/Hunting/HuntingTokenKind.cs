namespace Osprey.Detection.Hunting;

/// <summary>The kinds of token in a hunting query.</summary>
internal enum HuntingTokenKind
{
    End,
    Identifier,
    String,
    Integer,
    LeftParen,
    RightParen,
    Comma,
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Bang,
    And,
    Or,
    Not,
    In,
    Contains,
    Starts,
    Ends,
}
