using System.Globalization;
using System.Text;

namespace Osprey.Detection.Hunting;

/// <summary>Writes a query tree back as canonical query text that parses to an equivalent tree (for saved queries and rules).</summary>
public static class HuntingQueryFormatter
{
    /// <summary>Formats <paramref name="expression"/>: upper-case keywords, double-quoted strings, parentheses only where precedence needs them.</summary>
    public static string Format(HuntingExpression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var builder = new StringBuilder();
        var terms = 0;
        Write(builder, expression, 0, ref terms);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, HuntingExpression expression, int depth, ref int terms)
    {
        HuntingTree.CheckDepth(expression, depth);
        switch (expression)
        {
            case OrExpression or AndExpression:
                var isOr = expression is OrExpression;
                var first = true;
                foreach (var operand in HuntingTree.Flatten(expression))
                {
                    builder.Append(first ? string.Empty : isOr ? " OR " : " AND ");
                    first = false;
                    WriteOperand(builder, operand, parenthesise: !isOr && operand is OrExpression, depth, ref terms);
                }

                break;
            case NotExpression not:
                builder.Append("NOT ");
                WriteOperand(builder, not.Operand, parenthesise: not.Operand is AndExpression or OrExpression, depth, ref terms);
                break;
            case ComparisonExpression comparison:
                HuntingTree.CountTerm(comparison, ref terms);
                builder.Append(comparison.Field.Name).Append(' ').Append(comparison.Operator.ToQueryText()).Append(' ');
                WriteLiteral(builder, comparison.Value);
                break;
            case InExpression @in:
                HuntingTree.CountTerm(@in, ref terms);
                builder.Append(@in.Field.Name).Append(@in.Negated ? " NOT IN (" : " IN (");
                for (var i = 0; i < @in.Values.Length; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ", ");
                    WriteLiteral(builder, @in.Values[i]);
                }

                builder.Append(')');
                break;
            default:
                throw new ArgumentException("Unknown expression node " + expression.GetType().Name, nameof(expression));
        }
    }

    private static void WriteOperand(StringBuilder builder, HuntingExpression operand, bool parenthesise, int depth, ref int terms)
    {
        builder.Append(parenthesise ? "(" : string.Empty);
        Write(builder, operand, depth + 1, ref terms);
        builder.Append(parenthesise ? ")" : string.Empty);
    }

    private static void WriteLiteral(StringBuilder builder, HuntingLiteral literal)
    {
        switch (literal)
        {
            case StringLiteral s:
                HuntingText.AppendLiteral(builder, s.Value);
                break;
            case IntegerLiteral i:
                builder.Append(i.Value.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                throw new ArgumentException("Unknown literal " + literal.GetType().Name, nameof(literal));
        }
    }
}
