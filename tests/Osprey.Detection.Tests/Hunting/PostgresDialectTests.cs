using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class PostgresDialectTests
{
    private static readonly HuntingQueryCompiler Compiler = new(EventsSchema.Default, PostgresDialect.Instance);

    [Fact]
    public void TextEquality_UsesLower()
    {
        var compiled = Compiler.Compile("EventType = \"ProcessStart\"");
        Assert.Equal("(\"event_type\" IS NOT NULL AND lower(\"event_type\") = lower(@p0))", compiled.Where);
        Assert.Equal([new KeyValuePair<string, object>("@p0", "ProcessStart")], compiled.Parameters);
    }

    [Fact]
    public void NotContains_UsesIlikeWithEscapedPattern_AndMatchesMissingValues()
    {
        var compiled = Compiler.Compile("CommandLine NOT CONTAINS \"50%_off\\\\\"");
        Assert.Equal("NOT (\"command_line\" IS NOT NULL AND \"command_line\" ILIKE @p0 ESCAPE '\\')", compiled.Where);
        Assert.Equal("%50\\%\\_off\\\\%", compiled.Parameters[0].Value);
    }

    [Fact]
    public void JsonTextField_UsesThePathOperator()
    {
        var compiled = Compiler.Compile("Parent.CommandLine STARTS \"bash\"");
        Assert.Equal("((\"attrs\"::jsonb #>> '{parent,command_line}') IS NOT NULL AND (\"attrs\"::jsonb #>> '{parent,command_line}') ILIKE @p0 ESCAPE '\\')", compiled.Where);
    }

    [Fact]
    public void JsonIntegerField_DefaultsToZeroForDeclaringPayloads()
    {
        var compiled = Compiler.Compile("ExitCode >= 2");
        Assert.Equal(
            "(CASE WHEN \"event_type\" IN ('ProcessStop') THEN COALESCE((\"attrs\"::jsonb #>> '{exit_code}')::numeric, 0) END IS NOT NULL"
            + " AND CASE WHEN \"event_type\" IN ('ProcessStop') THEN COALESCE((\"attrs\"::jsonb #>> '{exit_code}')::numeric, 0) END >= @p0)",
            compiled.Where);
        Assert.Equal(2L, compiled.Parameters[0].Value);
    }

    [Fact]
    public void InLists_AreOneArrayParameter()
    {
        var compiled = Compiler.Compile("Host IN (\"a\", \"B\") AND RemotePort NOT IN (80, 443)");
        Assert.Equal(
            "((\"host\" IS NOT NULL AND lower(\"host\") IN (SELECT lower(v) FROM unnest(@p0) AS u(v)))"
            + " AND NOT (\"remote_port\" IS NOT NULL AND \"remote_port\" = ANY(@p1)))",
            compiled.Where);
        Assert.Equal(new[] { "a", "B" }, compiled.Parameters[0].Value);
        Assert.Equal(new[] { 80L, 443L }, compiled.Parameters[1].Value);
    }

    [Fact]
    public void ListField_UsesArrayElements()
    {
        var compiled = Compiler.Compile("ResolvedIps = \"1.2.3.4\"");
        Assert.Equal(
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(\"attrs\"::jsonb #> '{resolved_ips}') = 'array'"
            + " THEN \"attrs\"::jsonb #> '{resolved_ips}' END) AS j(value) WHERE lower(j.value) = lower(@p0))",
            compiled.Where);
    }

    [Fact]
    public void Time_IsAnIntegerParameterInMicroseconds()
    {
        var compiled = Compiler.Compile("EventTime >= \"2026-11-21T10:00:00Z\"");
        Assert.Equal("(\"event_time\" IS NOT NULL AND \"event_time\" >= @p0)", compiled.Where);
        Assert.Equal(SampleEvents.Us("2026-11-21T10:00:00Z"), compiled.Parameters[0].Value);
    }

    [Fact]
    public void OrderBy_SortsTextByLower()
    {
        Assert.Equal("lower(\"host\") ASC NULLS LAST", Compiler.CompileOrderBy("Host"));
        Assert.Equal("\"event_time\" DESC NULLS LAST", Compiler.CompileOrderBy(null));
    }

    [Fact]
    public void HostileValue_IsOnlyAParameter()
    {
        var compiled = Compiler.Compile("CommandLine = \"'; DROP TABLE events; --\"");
        Assert.DoesNotContain("DROP", compiled.Where, StringComparison.Ordinal);
        Assert.Equal("'; DROP TABLE events; --", compiled.Parameters[0].Value);
    }
}
