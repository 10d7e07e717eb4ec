using System.Globalization;
using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>Splits hunting query text into tokens on demand, so the first fault in reading order is the one reported.</summary>
internal sealed class HuntingLexer
{
    private readonly string _text;
    private int _position;

    public HuntingLexer(string text)
    {
        _text = text;
    }

    public HuntingToken Next()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }

        if (_position >= _text.Length)
        {
            return new HuntingToken(HuntingTokenKind.End, _text.Length, string.Empty);
        }

        var start = _position;
        var c = _text[start];
        switch (c)
        {
            case '(': return Symbol(HuntingTokenKind.LeftParen, 1);
            case ')': return Symbol(HuntingTokenKind.RightParen, 1);
            case ',': return Symbol(HuntingTokenKind.Comma, 1);
            case '=': return Symbol(HuntingTokenKind.Equal, 1);
            case '!': return Peek(1) == '=' ? Symbol(HuntingTokenKind.NotEqual, 2) : Symbol(HuntingTokenKind.Bang, 1);
            case '>': return Peek(1) == '=' ? Symbol(HuntingTokenKind.GreaterOrEqual, 2) : Symbol(HuntingTokenKind.Greater, 1);
            case '<': return Peek(1) == '=' ? Symbol(HuntingTokenKind.LessOrEqual, 2) : Symbol(HuntingTokenKind.Less, 1);
            case '"' or '\'': return ReadString(c);
            default: break;
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            return ReadInteger();
        }

        if (HuntingNames.IsIdentifierStart(c))
        {
            return ReadIdentifier();
        }

        throw new HuntingQueryException("unexpected character " + HuntingText.DescribeChar(c), start);
    }

    private char Peek(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private HuntingToken Symbol(HuntingTokenKind kind, int length)
    {
        var token = new HuntingToken(kind, _position, _text.Substring(_position, length));
        _position += length;
        return token;
    }

    private HuntingToken ReadInteger()
    {
        var start = _position;
        if (_text[_position] == '-')
        {
            _position++;
            if (!char.IsAsciiDigit(Peek(0)))
            {
                throw new HuntingQueryException("expected digits after '-'", start);
            }
        }

        while (char.IsAsciiDigit(Peek(0)))
        {
            _position++;
        }

        if (HuntingNames.IsIdentifierPart(Peek(0)) || Peek(0) == '.')
        {
            throw new HuntingQueryException(
                "invalid number",
                start,
                "numbers are whole decimal integers; quote text that starts with a digit");
        }

        var text = _text[start.._position];
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new HuntingQueryException("integer out of range", start, "integers must fit in 64 bits");
        }

        return new HuntingToken(HuntingTokenKind.Integer, start, text, IntegerValue: value);
    }

    private HuntingToken ReadIdentifier()
    {
        var start = _position;
        while (true)
        {
            while (HuntingNames.IsIdentifierPart(Peek(0)))
            {
                _position++;
            }

            if (Peek(0) != '.')
            {
                break;
            }

            if (!HuntingNames.IsIdentifierStart(Peek(1)))
            {
                throw new HuntingQueryException(
                    "expected a field name segment after '.'",
                    _position + 1,
                    "field names are letters, digits and underscores joined by dots");
            }

            _position++;
        }

        var text = _text[start.._position];
        return new HuntingToken(KeywordKind(text), start, text);
    }

    private static HuntingTokenKind KeywordKind(string word) => word.ToUpperInvariant() switch
    {
        "AND" => HuntingTokenKind.And,
        "OR" => HuntingTokenKind.Or,
        "NOT" => HuntingTokenKind.Not,
        "IN" => HuntingTokenKind.In,
        "CONTAINS" => HuntingTokenKind.Contains,
        "STARTS" => HuntingTokenKind.Starts,
        "ENDS" => HuntingTokenKind.Ends,
        _ => HuntingTokenKind.Identifier,
    };

    private HuntingToken ReadString(char quote)
    {
        var start = _position;
        var value = new StringBuilder();
        _position++;
        while (true)
        {
            if (_position >= _text.Length)
            {
                throw new HuntingQueryException("unterminated string starting", start);
            }

            var c = _text[_position];
            if (c == quote)
            {
                _position++;
                return new HuntingToken(HuntingTokenKind.String, start, _text[start.._position], value.ToString());
            }

            if (c != '\\')
            {
                value.Append(c);
                _position++;
                continue;
            }

            if (_position + 1 >= _text.Length)
            {
                throw new HuntingQueryException("unterminated string starting", start);
            }

            var escaped = _text[_position + 1];
            value.Append(escaped switch
            {
                '"' or '\'' or '\\' => escaped,
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                _ => throw new HuntingQueryException(
                    "unknown escape sequence \\" + escaped,
                    _position,
                    "the escapes are \\\" \\' \\\\ \\n \\t \\r; write \\\\ for a backslash"),
            });
            _position += 2;
        }
    }
}
