using System.Collections.Immutable;
using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class ParserTests
{
    private static ComparisonExpression Compare(string field, int position, ComparisonOperator op, int operatorPosition, HuntingLiteral value) =>
        new(new FieldReference(field, position), op, operatorPosition, value);

    [Fact]
    public void Parse_BuildsTheTreeWithPositions()
    {
        var tree = HuntingQueryParser.Parse("EventType = \"ProcessStart\" AND (CommandLine CONTAINS \"curl\" OR FileName ENDS \".sh\")");
        var expected = new AndExpression(
            Compare("EventType", 0, ComparisonOperator.Equal, 10, new StringLiteral("ProcessStart", 12)),
            new OrExpression(
                Compare("CommandLine", 32, ComparisonOperator.Contains, 44, new StringLiteral("curl", 53)),
                Compare("FileName", 63, ComparisonOperator.EndsWith, 72, new StringLiteral(".sh", 77)),
                32),
            0);
        Assert.Equal(expected, tree);
    }

    [Fact]
    public void Parse_AndBindsTighterThanOr_NotTighterThanAnd()
    {
        var tree = HuntingQueryParser.Parse("NOT a = 1 AND b = 2 OR c = 3");
        var or = Assert.IsType<OrExpression>(tree);
        var and = Assert.IsType<AndExpression>(or.Left);
        var not = Assert.IsType<NotExpression>(and.Left);
        Assert.Equal("a", Assert.IsType<ComparisonExpression>(not.Operand).Field.Name);
        Assert.Equal("b", Assert.IsType<ComparisonExpression>(and.Right).Field.Name);
        Assert.Equal("c", Assert.IsType<ComparisonExpression>(or.Right).Field.Name);
    }

    [Fact]
    public void Parse_ChainsAreLeftAssociative()
    {
        var tree = Assert.IsType<AndExpression>(HuntingQueryParser.Parse("a = 1 AND b = 2 AND c = 3"));
        Assert.IsType<AndExpression>(tree.Left);
        Assert.Equal("c", Assert.IsType<ComparisonExpression>(tree.Right).Field.Name);
    }

    [Theory]
    [InlineData("a = 1", ComparisonOperator.Equal)]
    [InlineData("a != 1", ComparisonOperator.NotEqual)]
    [InlineData("a > 1", ComparisonOperator.GreaterThan)]
    [InlineData("a >= 1", ComparisonOperator.GreaterThanOrEqual)]
    [InlineData("a < 1", ComparisonOperator.LessThan)]
    [InlineData("a <= 1", ComparisonOperator.LessThanOrEqual)]
    [InlineData("a CONTAINS 1", ComparisonOperator.Contains)]
    [InlineData("a NOT CONTAINS 1", ComparisonOperator.NotContains)]
    [InlineData("a !CONTAINS 1", ComparisonOperator.NotContains)]
    [InlineData("a ! contains 1", ComparisonOperator.NotContains)]
    [InlineData("a STARTS 1", ComparisonOperator.StartsWith)]
    [InlineData("a not starts 1", ComparisonOperator.NotStartsWith)]
    [InlineData("a !STARTS 1", ComparisonOperator.NotStartsWith)]
    [InlineData("a ENDS 1", ComparisonOperator.EndsWith)]
    [InlineData("a NOT ENDS 1", ComparisonOperator.NotEndsWith)]
    [InlineData("a !ENDS 1", ComparisonOperator.NotEndsWith)]
    [InlineData("a=1", ComparisonOperator.Equal)]
    [InlineData("a!=1", ComparisonOperator.NotEqual)]
    [InlineData("a>=1", ComparisonOperator.GreaterThanOrEqual)]
    public void Parse_ReadsEveryOperator(string query, ComparisonOperator op)
    {
        var comparison = Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse(query));
        Assert.Equal(op, comparison.Operator);
        Assert.Equal(new IntegerLiteral(1, query.Length - 1), comparison.Value);
    }

    [Fact]
    public void Parse_ReadsInLists()
    {
        var tree = Assert.IsType<InExpression>(HuntingQueryParser.Parse("Pid NOT IN (1, '2', -3)"));
        Assert.True(tree.Negated);
        Assert.Equal(4, tree.OperatorPosition);
        Assert.Equal([new IntegerLiteral(1, 12), new StringLiteral("2", 15), new IntegerLiteral(-3, 20)], tree.Values.ToArray());
    }

    [Fact]
    public void InExpression_ComparesValuesStructurally()
    {
        var first = HuntingQueryParser.Parse("Pid IN (1, 2)");
        var second = HuntingQueryParser.Parse("Pid IN (1, 2)");
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, HuntingQueryParser.Parse("Pid IN (1, 3)"));
        Assert.NotEqual(first, HuntingQueryParser.Parse("Pid NOT IN (1, 2)"));
        var built = new InExpression(new FieldReference("Pid", 0), false, 4, ImmutableArray.Create<HuntingLiteral>(new IntegerLiteral(1, 8), new IntegerLiteral(2, 11)));
        Assert.Equal(first, built);
    }

    [Fact]
    public void Parse_ReadsDottedFieldsAndUnderscores()
    {
        var comparison = Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse("_x.Parent_1.command_line = \"a\""));
        Assert.Equal("_x.Parent_1.command_line", comparison.Field.Name);
    }

    [Fact]
    public void Parse_KeepsWhitespaceInsideStrings_AndIgnoresItOutside()
    {
        var comparison = Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse("\t\r\n  a\n=\n\"  x  \"  \n"));
        Assert.Equal("  x  ", Assert.IsType<StringLiteral>(comparison.Value).Value);
    }

    [Fact]
    public void Parse_LongestIntegers()
    {
        Assert.Equal(long.MaxValue, Assert.IsType<IntegerLiteral>(Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse("a = 9223372036854775807")).Value).Value);
        Assert.Equal(long.MinValue, Assert.IsType<IntegerLiteral>(Assert.IsType<ComparisonExpression>(HuntingQueryParser.Parse("a = -9223372036854775808")).Value).Value);
    }
}
