using System.Globalization;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Parses a Sigma condition. Precedence, least to most binding: <c>or</c>, <c>and</c>, <c>not</c>,
/// <c>x of pattern</c>, parentheses. Keywords are case-insensitive; search identifiers are case-sensitive and
/// must exist; a pattern (<c>*</c> wildcards) must match at least one identifier. <c>them</c> and patterns leave
/// out identifiers starting with <c>_</c> unless the pattern itself starts with <c>_</c>.
/// </summary>
internal sealed class SigmaConditionParser
{
    private readonly string _text;
    private readonly IReadOnlyList<string> _names;
    private readonly int _line;
    private int _position;
    private int _depth;

    private SigmaConditionParser(string text, IReadOnlyList<string> names, int line)
    {
        _text = text;
        _names = names;
        _line = line;
    }

    /// <summary>The condition's tree; throws <see cref="SigmaRuleException"/> naming the fault and where it is.</summary>
    public static SigmaConditionNode Parse(string text, IReadOnlyList<string> searchNames, int line)
    {
        if (text.Length > SigmaLimits.MaxConditionLength)
        {
            throw SigmaRuleException.Invalid($"condition longer than {SigmaLimits.MaxConditionLength} characters", line);
        }

        if (text.Contains('|', StringComparison.Ordinal))
        {
            throw SigmaRuleException.Unsupported("aggregation in the condition ('| count() …') is obsolete Sigma; correlation rules replace it and the engine evaluates single events", line);
        }

        var parser = new SigmaConditionParser(text, searchNames, line);
        var node = parser.ParseOr();
        var trailing = parser.Next();
        if (trailing.Kind != TokenKind.End)
        {
            throw parser.Fault($"unexpected '{trailing.Text}'", trailing.Position);
        }

        return node;
    }

    private SigmaConditionNode ParseOr() => ParseChain("or", ParseAnd, operands => new SigmaConditionOr(operands));

    private SigmaConditionNode ParseAnd() => ParseChain("and", ParseNot, operands => new SigmaConditionAnd(operands));

    /// <summary>One or more operands joined by <paramref name="keyword"/>.</summary>
    private SigmaConditionNode ParseChain(string keyword, Func<SigmaConditionNode> operand, Func<List<SigmaConditionNode>, SigmaConditionNode> join)
    {
        var operands = new List<SigmaConditionNode> { operand() };
        while (Peek().Is(keyword))
        {
            Next();
            operands.Add(operand());
        }

        return operands.Count == 1 ? operands[0] : join(operands);
    }

    private SigmaConditionNode ParseNot()
    {
        if (!Peek().Is("not"))
        {
            return ParsePrimary();
        }

        Next();
        Enter();
        var operand = ParseNot();
        _depth--;
        return new SigmaConditionNot(operand);
    }

    private SigmaConditionNode ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Open:
                Enter();
                var inner = ParseOr();
                _depth--;
                var close = Next();
                if (close.Kind != TokenKind.Close)
                {
                    throw Fault(close.Kind == TokenKind.End ? "missing ')'" : $"expected ')' but found '{close.Text}'", close.Position);
                }

                return inner;
            case TokenKind.Word when token.Is("all") || token.Is("any") || IsCount(token.Text):
                return ParseOf(token);
            case TokenKind.Word when token.Is("and") || token.Is("or") || token.Is("not") || token.Is("of") || token.Is("them"):
                throw Fault($"expected a search identifier but found '{token.Text}'", token.Position);
            case TokenKind.Word when token.Is("near"):
                throw SigmaRuleException.Unsupported("the 'near' operator is obsolete Sigma; correlation rules replace it", _line);
            case TokenKind.Word:
                if (token.Text.Contains('*', StringComparison.Ordinal))
                {
                    throw Fault($"'{token.Text}' is a pattern; write '1 of {token.Text}' or 'all of {token.Text}'", token.Position);
                }

                if (!_names.Contains(token.Text, StringComparer.Ordinal))
                {
                    throw Fault($"unknown search identifier '{token.Text}'", token.Position);
                }

                return new SigmaConditionReference(token.Text);
            case TokenKind.End:
                throw Fault("the condition ends where a search identifier was expected", token.Position);
            default:
                throw Fault($"unexpected '{token.Text}'", token.Position);
        }
    }

    private SigmaConditionOf ParseOf(Token quantifier)
    {
        var of = Next();
        if (!of.Is("of"))
        {
            if (quantifier.Is("all") || quantifier.Is("any"))
            {
                throw Fault($"expected 'of' after '{quantifier.Text}'", of.Position);
            }

            throw Fault($"expected 'of' after '{quantifier.Text}' (a search identifier cannot be a number)", of.Position);
        }

        var count = quantifier.Is("all") ? 0 : quantifier.Is("any") ? 1 : int.Parse(quantifier.Text, NumberStyles.None, CultureInfo.InvariantCulture);
        if (!quantifier.Is("all") && count < 1)
        {
            throw Fault("'0 of' can never match; use 1 or more", quantifier.Position);
        }

        var target = Next();
        if (target.Kind != TokenKind.Word || target.Is("and") || target.Is("or") || target.Is("not"))
        {
            throw Fault($"expected 'them' or a search identifier pattern after 'of' but found '{(target.Kind == TokenKind.End ? "the end" : target.Text)}'", target.Position);
        }

        var names = target.Is("them") ? _names.Where(n => !n.StartsWith('_')).ToList() : Matching(target.Text);
        if (names.Count == 0)
        {
            throw Fault(target.Is("them") ? "'them' refers to no search identifier" : $"the pattern '{target.Text}' matches no search identifier", target.Position);
        }

        if (count > names.Count)
        {
            throw Fault($"'{count} of {target.Text}' can never match: it has only {names.Count} search identifiers", quantifier.Position);
        }

        return new SigmaConditionOf(quantifier.Is("all") ? names.Count : count, quantifier.Is("all"), names);
    }

    private List<string> Matching(string pattern)
    {
        var withUnderscore = pattern.StartsWith('_');
        var found = new List<string>();
        foreach (var name in _names)
        {
            if ((withUnderscore || !name.StartsWith('_')) && SigmaWildcard.IsMatch(pattern, name))
            {
                found.Add(name);
            }
        }

        return found;
    }

    private static bool IsCount(string text) => text.Length is > 0 and < 6 && text.All(char.IsAsciiDigit);

    private void Enter()
    {
        if (++_depth > SigmaLimits.MaxConditionDepth)
        {
            throw Fault($"nested deeper than {SigmaLimits.MaxConditionDepth} levels", _position);
        }
    }

    private SigmaRuleException Fault(string reason, int position) =>
        SigmaRuleException.Invalid(string.Create(CultureInfo.InvariantCulture, $"condition '{_text}': {reason} at position {position}"), _line);

    private Token Peek()
    {
        var saved = _position;
        var token = Next();
        _position = saved;
        return token;
    }

    private Token Next()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }

        if (_position == _text.Length)
        {
            return new Token(TokenKind.End, "", _position);
        }

        var start = _position;
        var c = _text[_position];
        if (c is '(' or ')')
        {
            _position++;
            return new Token(c == '(' ? TokenKind.Open : TokenKind.Close, c.ToString(), start);
        }

        while (_position < _text.Length && !char.IsWhiteSpace(_text[_position]) && _text[_position] is not '(' and not ')')
        {
            _position++;
        }

        return new Token(TokenKind.Word, _text[start.._position], start);
    }

    private enum TokenKind
    {
        Word,
        Open,
        Close,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position)
    {
        public bool Is(string keyword) => Kind == TokenKind.Word && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
    }
}
