using System.Globalization;
using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class ErrorTests
{
    private static readonly HuntingQueryCompiler Compiler = new(EventsSchema.Default, SqliteDialect.Instance);

    [Theory]
    [InlineData("CommandLine CONTAINS", 20, "expected a value after CONTAINS at position 20: found end of query")]
    [InlineData("EventType = \"ProcessStart\" AND CommandLine CONTAINS OR", 52, "expected a value after CONTAINS at position 52: found OR")]
    [InlineData("CommandLine = curl", 14, "expected a value after = at position 14: bare words are not values; write \"curl\" in quotes")]
    [InlineData("Pid IN (1, two)", 11, "expected a value in the IN list at position 11: bare words are not values; write \"two\" in quotes")]
    [InlineData("CommandLine = \"abc", 14, "unterminated string starting at position 14")]
    [InlineData("Host = 'abc", 7, "unterminated string starting at position 7")]
    [InlineData("Host = \"a\\", 7, "unterminated string starting at position 7")]
    [InlineData("Host = \"a\\qb\"", 9, "unknown escape sequence \\q at position 9: the escapes are \\\" \\' \\\\ \\n \\t \\r; write \\\\ for a backslash")]
    [InlineData("Foo = \"x\"", 0, "unknown field 'Foo' at position 0")]
    [InlineData("Host = \"a\" OR Foo.Bar = 1", 14, "unknown field 'Foo.Bar' at position 14")]
    [InlineData("(Host = \"a\"", 11, "expected ')' at position 11: found end of query; the '(' at position 0 is not closed")]
    [InlineData("Host = \"a\")", 10, "expected AND, OR or the end of the query at position 10: found ')'")]
    [InlineData("Host = \"a\" Pid = 1", 11, "expected AND, OR or the end of the query at position 11: found the word Pid")]
    [InlineData("Host \"a\"", 5, "expected an operator (=, !=, >, >=, <, <=, CONTAINS, STARTS, ENDS, IN) after Host at position 5: found the string \"a\"")]
    [InlineData("Host NOT = \"a\"", 9, "expected CONTAINS, STARTS, ENDS or IN after NOT at position 9: found '='")]
    [InlineData("Host ! = \"a\"", 7, "expected CONTAINS, STARTS, ENDS or IN after ! at position 7: found '='")]
    [InlineData("Host == \"a\"", 6, "expected a value after = at position 6: found '='")]
    [InlineData("Pid IN 1", 7, "expected '(' after IN at position 7: found the number 1")]
    [InlineData("Pid IN ()", 8, "expected a value in the IN list at position 8: found ')'")]
    [InlineData("Pid IN (1 2)", 10, "expected ',' or ')' in the IN list at position 10: found the number 2")]
    [InlineData("Pid IN (1,)", 10, "expected a value in the IN list at position 10: found ')'")]
    [InlineData("", 0, "query is empty at position 0: write a condition such as EventType = \"ProcessStart\"")]
    [InlineData("   \t\n ", 6, "query is empty at position 6: write a condition such as EventType = \"ProcessStart\"")]
    [InlineData("AND Host = \"a\"", 0, "expected a field name, NOT or '(' at position 0: found AND")]
    [InlineData("Host = \"a\" AND", 14, "expected a field name, NOT or '(' at position 14: found end of query")]
    [InlineData("Host = \"a\" AND ()", 16, "expected a field name, NOT or '(' at position 16: found ')'")]
    [InlineData("\"Host\" = \"a\"", 0, "expected a field name, NOT or '(' at position 0: found the string \"Host\"")]
    [InlineData("Host = 12abc", 7, "invalid number at position 7: numbers are whole decimal integers; quote text that starts with a digit")]
    [InlineData("Pid = 1.5", 6, "invalid number at position 6: numbers are whole decimal integers; quote text that starts with a digit")]
    [InlineData("Pid = -", 6, "expected digits after '-' at position 6")]
    [InlineData("Pid = 9223372036854775808", 6, "integer out of range at position 6: integers must fit in 64 bits")]
    [InlineData("Parent..Pid = 1", 7, "expected a field name segment after '.' at position 7: field names are letters, digits and underscores joined by dots")]
    [InlineData("Parent. = 1", 7, "expected a field name segment after '.' at position 7: field names are letters, digits and underscores joined by dots")]
    [InlineData("Host = \"a\" ; DROP", 11, "unexpected character ';' at position 11")]
    [InlineData("Host = \"a\" \u0000", 11, "unexpected character U+0000 at position 11")]
    [InlineData("Pid = \"abc\"", 6, "expected an integer for integer field 'Pid' at position 6: found \"abc\"")]
    [InlineData("Pid CONTAINS \"1\"", 4, "CONTAINS cannot be used on integer field 'Pid' at position 4: use =, !=, >, >=, <, <= or IN")]
    [InlineData("CommandLine > \"a\"", 12, "> cannot be used on text field 'CommandLine' at position 12: >, >=, < and <= compare integers and times")]
    [InlineData("EventTime > \"soon\"", 12, "expected an ISO-8601 date/time for time field 'EventTime' at position 12: found \"soon\"; write for example \"2026-11-21T10:00:00Z\" or \"2026-11-21\", or an integer in Unix microseconds")]
    public void Error_ReportsItsPositionAndReason(string query, int position, string message)
    {
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Equal(message, error.Message);
        Assert.Equal(position, error.Position);
    }

    [Fact]
    public void Error_IsAFormatException()
    {
        Assert.IsAssignableFrom<FormatException>(Assert.Throws<HuntingQueryException>(() => Compiler.Compile("Foo = 1")));
    }

    [Fact]
    public void FirstFaultInReadingOrder_IsReported()
    {
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile("Host = = 1 AND \"unterminated"));
        Assert.Equal(7, error.Position);
    }

    [Fact]
    public void QueryLongerThanTheLimit_IsRejected()
    {
        var query = "CommandLine = \"" + new string('a', HuntingQueryLimits.MaxQueryLength - 16) + "\"";
        Assert.Equal(HuntingQueryLimits.MaxQueryLength, query.Length);
        Compiler.Compile(query);
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query + " "));
        Assert.Equal(16384, error.Position);
        Assert.Equal("query is longer than the limit of 16384 characters at position 16384", error.Message);
    }

    [Theory]
    [InlineData(65, true)]
    [InlineData(8_000, true)]
    [InlineData(8_000, false)]
    public void ParenthesesDeeperThanTheLimit_AreRejected(int depth, bool closed)
    {
        var query = new string('(', depth) + "Pid = 1" + (closed ? new string(')', depth) : string.Empty);
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Equal("query nests parentheses and NOT deeper than the limit of 64 levels at position 64", error.Message);
        Assert.Equal(64, error.Position);
    }

    [Fact]
    public void TenThousandParentheses_AreRejected()
    {
        var query = new string('(', 10_000) + "Pid = 1" + new string(')', 10_000);
        Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Throws<HuntingQueryException>(() => Compiler.Compile(new string('(', 10_000)));
        Assert.Throws<HuntingQueryException>(() => Compiler.Compile(new string(')', 10_000)));
    }

    [Fact]
    public void NotsDeeperThanTheLimit_AreRejected()
    {
        var query = string.Concat(Enumerable.Repeat("NOT ", 4_000)) + "Pid = 1";
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Equal(64 * 4, error.Position);
    }

    [Fact]
    public void MixedNesting_CountsParenthesesAndNotTogether()
    {
        var ok = string.Concat(Enumerable.Repeat("NOT (", 32)) + "Pid = 1" + new string(')', 32);
        Compiler.Compile(ok);
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile("NOT " + ok));
        Assert.Equal(4 + (32 * 5) - 1, error.Position);
    }

    [Fact]
    public void MoreConditionsThanTheLimit_AreRejected()
    {
        var terms = Enumerable.Range(0, 513).Select(i => "Pid = " + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var query = string.Join(" OR ", terms);
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Equal(query.LastIndexOf("Pid", StringComparison.Ordinal), error.Position);
        Assert.Equal("query has more conditions than the limit of 512", error.Reason);
    }

    [Fact]
    public void InListLongerThanTheLimit_IsRejected()
    {
        var values = Enumerable.Range(0, 1001).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var query = "Pid IN (" + string.Join(",", values) + ")";
        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(query));
        Assert.Equal(query.LastIndexOf(",1000", StringComparison.Ordinal) + 1, error.Position);
        Assert.Equal("IN list has more values than the limit of 1000", error.Reason);
    }

    [Fact]
    public void TreeBuiltInCode_IsHeldToTheSameLimits()
    {
        HuntingExpression deep = new ComparisonExpression(new FieldReference("Pid", 0), ComparisonOperator.Equal, 4, new IntegerLiteral(1, 6));
        for (var i = 0; i < 100_000; i++)
        {
            deep = new NotExpression(deep, 0);
        }

        Assert.Throws<HuntingQueryException>(() => Compiler.Compile(deep));
        Assert.Throws<HuntingQueryException>(() => HuntingQueryFormatter.Format(deep));

        HuntingExpression wide = new ComparisonExpression(new FieldReference("Pid", 0), ComparisonOperator.Equal, 4, new IntegerLiteral(1, 6));
        for (var i = 0; i < 100_000; i++)
        {
            wide = new OrExpression(wide, wide, 0);
        }

        var error = Assert.Throws<HuntingQueryException>(() => Compiler.Compile(wide));
        Assert.Equal("query has more conditions than the limit of 512", error.Reason);
    }
}
