using Osprey.Detection.Hunting;
using Xunit;
using static Osprey.Detection.Tests.Hunting.SampleEvents;

namespace Osprey.Detection.Tests.Hunting;

public sealed class JsonFieldTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void NestedTextField_ReadsThePayload()
    {
        Assert.Equal(["e02"], _db.Match("Parent.CommandLine CONTAINS \"SSHD\""));
        Assert.Equal(["e01"], _db.Match("Parent.File.Path = \"/usr/bin/bash\""));
    }

    [Fact]
    public void TextField_ComparesCaseInsensitively()
    {
        Assert.Equal(["e01"], _db.Match("Cwd = \"/TMP\""));
        Assert.Equal(["e02", "e09"], _db.Match("Cwd IN ('/HOME/ALICE', '/home/jürgen')"));
    }

    [Fact]
    public void TextField_NegationMatchesEventsWithoutIt()
    {
        Assert.Equal(AllExcept("e02", "e09"), _db.Match("Cwd NOT STARTS \"/home/\""));
    }

    [Fact]
    public void SnakeCaseNames_ResolveLikePascalCase()
    {
        Assert.Equal(["e04"], _db.Match("exit_code = 2"));
        Assert.Equal(["e01"], _db.Match("parent.command_line = \"bash -i\""));
        Assert.Equal(["e01"], _db.Match("PARENT.COMMANDLINE = \"bash -i\""));
    }

    [Fact]
    public void OmittedZero_ReadsAsZero_OnlyForPayloadsThatDeclareIt()
    {
        // JsonFormatter leaves exit_code 0 out of e03's payload; other event types have no exit code at all.
        Assert.DoesNotContain("exit_code", All.Single(e => e.EventId == "e03").Attrs!, StringComparison.Ordinal);
        Assert.Equal(["e03"], _db.Match("ExitCode = 0"));
        Assert.Equal(AllExcept("e03"), _db.Match("ExitCode != 0"));
        Assert.Equal(["e04"], _db.Match("ExitCode > 0"));
        Assert.Equal(["e03", "e04"], _db.Match("ExitCode >= 0"));
    }

    [Fact]
    public void MissingParent_ReadsAsZeroPid_ForProcessEvents()
    {
        Assert.Equal(["e02"], _db.Match("Parent.Pid = 101"));
        Assert.Equal(["e03", "e04", "e08", "e09"], _db.Match("Parent.Pid = 0"));
    }

    [Fact]
    public void Int64Field_StoredAsJsonString_ComparesAsInteger()
    {
        Assert.Equal(["e05", "e10"], _db.Match("File.Size > 9"));
        Assert.Equal(["e05"], _db.Match("File.Size IN (1234, 5)"));
        Assert.Equal(["e11"], _db.Match("File.Size = 0"));
    }

    [Fact]
    public void MicrosecondField_IsATime()
    {
        Assert.Equal(["e04"], _db.Match("EndTimeUs >= \"2026-11-22\""));
        Assert.Equal(["e03"], _db.Match($"EndTimeUs = {Us("2026-11-21T12:00:00Z")}"));
    }

    [Fact]
    public void ListField_MatchesWhenAnyElementMatches()
    {
        Assert.Equal(["e07"], _db.Match("ResolvedIps = \"198.51.100.1\""));
        Assert.Equal(["e07"], _db.Match("ResolvedIps STARTS \"203.0.\""));
        Assert.Equal(["e07"], _db.Match("ResolvedIps IN (\"10.0.0.1\", \"198.51.100.1\")"));
        Assert.Empty(_db.Match("ResolvedIps = \"198.51\""));
    }

    [Fact]
    public void ListField_NegationMatchesWhenNoElementMatches()
    {
        Assert.Equal(AllExcept("e07"), _db.Match("ResolvedIps NOT CONTAINS \"198.51\""));
        Assert.Equal(AllIds, _db.Match("ResolvedIps != \"10.0.0.1\""));
    }

    [Fact]
    public void EnumField_ComparesByProtoName()
    {
        Assert.Equal(["e06"], _db.Match("Direction = \"DIRECTION_OUTBOUND\""));
    }

    [Fact]
    public void TypedColumns_WinOverPayloadFieldsOfTheSameName()
    {
        var compiled = _db.Compiler.Compile("RemotePort = 443");
        Assert.Equal("(\"remote_port\" IS NOT NULL AND \"remote_port\" = @p0)", compiled.Where);
    }

    [Fact]
    public void JsonPath_IsALiteralOfCheckedIdentifiers_AndTheValueAParameter()
    {
        var compiled = _db.Compiler.Compile("Parent.CommandLine = \"x\"");
        Assert.Equal(
            "(CAST(json_extract(\"attrs\", '$.parent.command_line') AS TEXT) IS NOT NULL AND CAST(json_extract(\"attrs\", '$.parent.command_line') AS TEXT) = @p0 COLLATE NOCASE)",
            compiled.Where);
        Assert.Equal([new KeyValuePair<string, object>("@p0", "x")], compiled.Parameters);
    }

    [Fact]
    public void UnknownField_IsRejected()
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Match("Host = \"a\" AND Foo = \"x\""));
        Assert.Equal("unknown field 'Foo' at position 15", error.Message);
    }

    [Fact]
    public void MessageField_IsRejectedWithAHint()
    {
        var error = Assert.Throws<HuntingQueryException>(() => _db.Match("Parent = \"x\""));
        Assert.Equal(0, error.Position);
        Assert.StartsWith("field 'Parent' is a message; compare one of its fields, such as 'Parent.", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyJsonPathSchema_MapsPascalCaseToSnakeCase()
    {
        using var db = HuntingTestDatabase.WithSampleEvents(EventsSchema.AnyJsonPath);
        Assert.Equal(["e01"], db.Match("Cwd = \"/tmp\""));
        Assert.Equal(["e02"], db.Match("Parent.CommandLine CONTAINS \"sshd\""));
        Assert.Equal(["e07"], db.Match("QueryType = \"a\""));
        Assert.Empty(db.Match("NoSuch.Field = \"x\""));
        Assert.Contains("'$.no_such.field'", db.Compiler.Compile("NoSuch.Field = \"x\"").Where, StringComparison.Ordinal);
    }

    [Fact]
    public void AnyJsonPathSchema_ComparesNumbersAsText()
    {
        using var db = HuntingTestDatabase.WithSampleEvents(EventsSchema.AnyJsonPath);
        Assert.Equal(["e04"], db.Match("ExitCode = \"2\""));
        Assert.Equal(["e05"], db.Match("File.Size = 1234"));
    }

    [Fact]
    public void BooleanField_FromACustomSchema_ComparesTrueAndFalse()
    {
        var schema = new TestSchema(HuntingField.ForJson(
            "Elevated", "attrs", ["elevated"], HuntingFieldType.Boolean, scope: new PayloadScope("event_type", ["ProcessStart"])));
        using var db = HuntingTestDatabase.Empty(schema);
        db.Insert(new EventRow { EventId = "b1", EventType = "ProcessStart", Attrs = "{\"elevated\":true}" });
        db.Insert(new EventRow { EventId = "b2", EventType = "ProcessStart", Attrs = "{}" });
        db.Insert(new EventRow { EventId = "b3", EventType = "FileCreate", Attrs = "{}" });
        Assert.Equal(["b1"], db.Match("Elevated = \"TRUE\""));
        Assert.Equal(["b1"], db.Match("Elevated = 1"));
        Assert.Equal(["b2"], db.Match("Elevated = 'false'"));
        Assert.Equal(["b2", "b3"], db.Match("Elevated != \"true\""));
        var error = Assert.Throws<HuntingQueryException>(() => db.Match("Elevated = \"yes\""));
        Assert.Equal(11, error.Position);
        Assert.Throws<HuntingQueryException>(() => db.Match("Elevated CONTAINS \"t\""));
        Assert.Throws<HuntingQueryException>(() => db.Match("Elevated IN (1)"));
    }
}
