using System.Globalization;

namespace Osprey.Detection.Hunting;

/// <summary>Operator checks and literal conversion per field type.</summary>
public sealed partial class HuntingQueryCompiler
{
    private static void CheckOperator(HuntingField field, ComparisonOperator op, int position)
    {
        var allowed = field.Type switch
        {
            HuntingFieldType.String => !op.IsOrdering(),
            HuntingFieldType.Boolean => op.Positive() == ComparisonOperator.Equal,
            _ => !op.IsTextMatch(),
        };
        if (allowed)
        {
            return;
        }

        var hint = field.Type switch
        {
            HuntingFieldType.String => ">, >=, < and <= compare integers and times",
            HuntingFieldType.Boolean => "use = or !=",
            _ => "use =, !=, >, >=, <, <= or IN",
        };
        throw new HuntingQueryException($"{op.ToQueryText()} cannot be used on {Describe(field)}", position, hint);
    }

    private static string Describe(HuntingField field) => field.Type switch
    {
        HuntingFieldType.String => $"text field '{field.Name}'",
        HuntingFieldType.Integer => $"integer field '{field.Name}'",
        HuntingFieldType.Time => $"time field '{field.Name}'",
        _ => $"boolean field '{field.Name}'",
    };

    private static string ToText(HuntingLiteral literal) => literal switch
    {
        StringLiteral s => s.Value,
        IntegerLiteral i => i.Value.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException("Unknown literal " + literal.GetType().Name, nameof(literal)),
    };

    private static long ToInteger(HuntingField field, HuntingLiteral literal)
    {
        switch (literal)
        {
            case IntegerLiteral i:
                return i.Value;
            case StringLiteral s when field.Type == HuntingFieldType.Time:
                return IsoTime.TryParseMicroseconds(s.Value, out var microseconds)
                    ? microseconds
                    : throw new HuntingQueryException(
                        $"expected an ISO-8601 date/time for {Describe(field)}",
                        s.Position,
                        $"found {HuntingText.Quote(s.Value)}; write for example \"2026-11-21T10:00:00Z\" or \"2026-11-21\", or an integer in Unix microseconds");
            case StringLiteral s:
                return long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new HuntingQueryException($"expected an integer for {Describe(field)}", s.Position, "found " + HuntingText.Quote(s.Value));
            default:
                throw new ArgumentException("Unknown literal " + literal.GetType().Name, nameof(literal));
        }
    }

    private static bool ToBoolean(HuntingField field, HuntingLiteral literal)
    {
        switch (literal)
        {
            case IntegerLiteral { Value: 0 or 1 } i:
                return i.Value == 1;
            case StringLiteral s when string.Equals(s.Value, "true", StringComparison.OrdinalIgnoreCase):
                return true;
            case StringLiteral s when string.Equals(s.Value, "false", StringComparison.OrdinalIgnoreCase):
                return false;
            default:
                var found = literal is StringLiteral text ? HuntingText.Quote(text.Value) : ToText(literal);
                throw new HuntingQueryException($"expected \"true\", \"false\", 1 or 0 for {Describe(field)}", literal.Position, "found " + found);
        }
    }
}
