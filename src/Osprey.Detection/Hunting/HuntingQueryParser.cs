using System.Collections.Immutable;
using System.Globalization;

namespace Osprey.Detection.Hunting;

/// <summary>Recursive-descent parser from hunting query text to an immutable <see cref="HuntingExpression"/> tree.</summary>
/// <remarks>
/// Grammar, lowest precedence first (keywords are case-insensitive):
/// <code>
/// query     = or EOF
/// or        = and { OR and }
/// and       = unary { AND unary }
/// unary     = NOT unary | primary
/// primary   = "(" or ")" | condition
/// condition = FIELD ( "=" | "!=" | "&gt;" | "&gt;=" | "&lt;" | "&lt;=" ) value
///           | FIELD [ NOT | "!" ] ( CONTAINS | STARTS | ENDS ) value
///           | FIELD [ NOT | "!" ] IN "(" value { "," value } ")"
/// value     = STRING | INTEGER
/// </code>
/// </remarks>
public sealed class HuntingQueryParser
{
    private readonly HuntingLexer _lexer;
    private HuntingToken _current;
    private int _depth;
    private int _terms;

    private HuntingQueryParser(string query)
    {
        _lexer = new HuntingLexer(query);
        _current = _lexer.Next();
    }

    /// <summary>Parses <paramref name="query"/>, or throws <see cref="HuntingQueryException"/> at the first fault.</summary>
    public static HuntingExpression Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Length > HuntingQueryLimits.MaxQueryLength)
        {
            throw new HuntingQueryException(
                "query is longer than the limit of 16384 characters",
                HuntingQueryLimits.MaxQueryLength);
        }

        var parser = new HuntingQueryParser(query);
        if (parser._current.Kind == HuntingTokenKind.End)
        {
            throw new HuntingQueryException(
                "query is empty",
                parser._current.Position,
                "write a condition such as EventType = \"ProcessStart\"");
        }

        var expression = parser.ParseOr();
        if (parser._current.Kind != HuntingTokenKind.End)
        {
            throw parser.Unexpected("expected AND, OR or the end of the query");
        }

        return expression;
    }

    private void Advance() => _current = _lexer.Next();

    private HuntingQueryException Unexpected(string expectation) =>
        new(expectation, _current.Position, "found " + _current.Describe());

    private HuntingExpression ParseOr()
    {
        var left = ParseAnd();
        while (_current.Kind == HuntingTokenKind.Or)
        {
            Advance();
            left = new OrExpression(left, ParseAnd(), left.Position);
        }

        return left;
    }

    private HuntingExpression ParseAnd()
    {
        var left = ParseUnary();
        while (_current.Kind == HuntingTokenKind.And)
        {
            Advance();
            left = new AndExpression(left, ParseUnary(), left.Position);
        }

        return left;
    }

    private HuntingExpression ParseUnary()
    {
        if (_current.Kind != HuntingTokenKind.Not)
        {
            return ParsePrimary();
        }

        var position = _current.Position;
        Enter(position);
        Advance();
        var operand = ParseUnary();
        _depth--;
        return new NotExpression(operand, position);
    }

    private HuntingExpression ParsePrimary()
    {
        if (_current.Kind == HuntingTokenKind.Identifier)
        {
            return ParseCondition();
        }

        if (_current.Kind != HuntingTokenKind.LeftParen)
        {
            throw Unexpected("expected a field name, NOT or '('");
        }

        var open = _current.Position;
        Enter(open);
        Advance();
        var inner = ParseOr();
        if (_current.Kind != HuntingTokenKind.RightParen)
        {
            throw new HuntingQueryException(
                "expected ')'",
                _current.Position,
                string.Create(CultureInfo.InvariantCulture, $"found {_current.Describe()}; the '(' at position {open} is not closed"));
        }

        Advance();
        _depth--;
        return inner;
    }

    private void Enter(int position)
    {
        if (++_depth > HuntingQueryLimits.MaxDepth)
        {
            throw new HuntingQueryException("query nests parentheses and NOT deeper than the limit of 64 levels", position);
        }
    }

    private HuntingExpression ParseCondition()
    {
        var field = new FieldReference(_current.Text, _current.Position);
        if (++_terms > HuntingQueryLimits.MaxTerms)
        {
            throw new HuntingQueryException("query has more conditions than the limit of 512", field.Position);
        }

        Advance();
        var operatorPosition = _current.Position;
        var negated = false;
        if (_current.Kind is HuntingTokenKind.Not or HuntingTokenKind.Bang)
        {
            negated = true;
            var negation = _current.Kind == HuntingTokenKind.Not ? "NOT" : "!";
            Advance();
            if (_current.Kind is not (HuntingTokenKind.Contains or HuntingTokenKind.Starts or HuntingTokenKind.Ends or HuntingTokenKind.In))
            {
                throw Unexpected("expected CONTAINS, STARTS, ENDS or IN after " + negation);
            }
        }

        ComparisonOperator op;
        switch (_current.Kind)
        {
            case HuntingTokenKind.In:
                return ParseIn(field, negated, operatorPosition);
            case HuntingTokenKind.Contains:
                op = negated ? ComparisonOperator.NotContains : ComparisonOperator.Contains;
                break;
            case HuntingTokenKind.Starts:
                op = negated ? ComparisonOperator.NotStartsWith : ComparisonOperator.StartsWith;
                break;
            case HuntingTokenKind.Ends:
                op = negated ? ComparisonOperator.NotEndsWith : ComparisonOperator.EndsWith;
                break;
            case HuntingTokenKind.Equal: op = ComparisonOperator.Equal; break;
            case HuntingTokenKind.NotEqual: op = ComparisonOperator.NotEqual; break;
            case HuntingTokenKind.Greater: op = ComparisonOperator.GreaterThan; break;
            case HuntingTokenKind.GreaterOrEqual: op = ComparisonOperator.GreaterThanOrEqual; break;
            case HuntingTokenKind.Less: op = ComparisonOperator.LessThan; break;
            case HuntingTokenKind.LessOrEqual: op = ComparisonOperator.LessThanOrEqual; break;
            default:
                throw Unexpected("expected an operator (=, !=, >, >=, <, <=, CONTAINS, STARTS, ENDS, IN) after " + HuntingText.Truncate(field.Name));
        }

        Advance();
        return new ComparisonExpression(field, op, operatorPosition, ParseValue("after " + op.ToQueryText()));
    }

    private InExpression ParseIn(FieldReference field, bool negated, int operatorPosition)
    {
        Advance();
        if (_current.Kind != HuntingTokenKind.LeftParen)
        {
            throw Unexpected("expected '(' after IN");
        }

        Advance();
        var values = ImmutableArray.CreateBuilder<HuntingLiteral>();
        while (true)
        {
            if (values.Count == HuntingQueryLimits.MaxInValues)
            {
                throw new HuntingQueryException("IN list has more values than the limit of 1000", _current.Position);
            }

            values.Add(ParseValue("in the IN list"));
            if (_current.Kind == HuntingTokenKind.RightParen)
            {
                Advance();
                return new InExpression(field, negated, operatorPosition, values.ToImmutable());
            }

            if (_current.Kind != HuntingTokenKind.Comma)
            {
                throw Unexpected("expected ',' or ')' in the IN list");
            }

            Advance();
        }
    }

    private HuntingLiteral ParseValue(string context)
    {
        var token = _current;
        switch (token.Kind)
        {
            case HuntingTokenKind.String:
                Advance();
                return new StringLiteral(token.StringValue!, token.Position);
            case HuntingTokenKind.Integer:
                Advance();
                return new IntegerLiteral(token.IntegerValue, token.Position);
            case HuntingTokenKind.Identifier:
                throw new HuntingQueryException(
                    "expected a value " + context,
                    token.Position,
                    "bare words are not values; write " + HuntingText.Quote(token.Text) + " in quotes");
            default:
                throw Unexpected("expected a value " + context);
        }
    }
}
