using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class EventsSchemaTests
{
    [Theory]
    [InlineData("EventType", "event_type", HuntingFieldType.String)]
    [InlineData("eventtype", "event_type", HuntingFieldType.String)]
    [InlineData("EVENT_TYPE", "event_type", HuntingFieldType.String)]
    [InlineData("Sequence", "seq", HuntingFieldType.Integer)]
    [InlineData("EventTime", "event_time", HuntingFieldType.Time)]
    [InlineData("RemotePort", "remote_port", HuntingFieldType.Integer)]
    [InlineData("Sha256", "sha256", HuntingFieldType.String)]
    public void TypedFields_ResolveCaseInsensitively(string name, string column, HuntingFieldType type)
    {
        Assert.True(EventsSchema.Default.TryResolve(name, out var field));
        Assert.Equal(column, field.Column);
        Assert.Equal(type, field.Type);
        Assert.False(field.IsJson);
    }

    [Theory]
    [InlineData("Cwd", new[] { "cwd" }, HuntingFieldType.String)]
    [InlineData("ExitCode", new[] { "exit_code" }, HuntingFieldType.Integer)]
    [InlineData("Parent.CommandLine", new[] { "parent", "command_line" }, HuntingFieldType.String)]
    [InlineData("parent.file.sha256", new[] { "parent", "file", "sha256" }, HuntingFieldType.String)]
    [InlineData("File.Size", new[] { "file", "size" }, HuntingFieldType.Integer)]
    [InlineData("EndTimeUs", new[] { "end_time_us" }, HuntingFieldType.Time)]
    [InlineData("Direction", new[] { "direction" }, HuntingFieldType.String)]
    public void PayloadFields_ResolveFromDescriptors(string name, string[] path, HuntingFieldType type)
    {
        Assert.True(EventsSchema.Default.TryResolve(name, out var field));
        Assert.Equal(EventsSchema.JsonColumn, field.JsonColumn);
        Assert.Equal(path, field.JsonPath);
        Assert.Equal(type, field.Type);
    }

    [Fact]
    public void PayloadScope_ListsTheEventTypesThatDeclareTheField()
    {
        Assert.True(EventsSchema.Default.TryResolve("ExitCode", out var exitCode));
        Assert.Contains("ProcessStop", exitCode.Scope!.EventTypes);
        Assert.DoesNotContain("ProcessStart", exitCode.Scope.EventTypes);
        Assert.True(EventsSchema.Default.TryResolve("Parent.Pid", out var parentPid));
        Assert.Contains("ProcessStart", parentPid.Scope!.EventTypes);
        Assert.Contains("ProcessStop", parentPid.Scope.EventTypes);
        Assert.True(EventsSchema.Default.TryResolve("ResolvedIps", out var ips));
        Assert.True(ips.IsList);
    }

    [Fact]
    public void PayloadEventTypes_AreEventTypeEnumNames()
    {
        var names = Enum.GetNames<Osprey.Contracts.V1.EventType>();
        var scoped = EventsSchema.Default.Fields.Where(f => f.Scope is not null).SelectMany(f => f.Scope!.EventTypes).Distinct().ToArray();
        Assert.NotEmpty(scoped);
        Assert.All(scoped, t => Assert.Contains(t, names));
    }

    [Fact]
    public void EveryListedField_ResolvesToItself()
    {
        Assert.NotEmpty(EventsSchema.Default.Fields);
        foreach (var field in EventsSchema.Default.Fields)
        {
            Assert.True(EventsSchema.Default.TryResolve(field.Name, out var resolved), field.Name);
            Assert.Same(field, resolved);
            Assert.All(field.JsonPath, s => Assert.Matches("^[a-z_][a-z0-9_]*$", s));
        }
    }

    [Fact]
    public void EveryListedField_CompilesAndRunsOnSqlite()
    {
        using var db = HuntingTestDatabase.WithSampleEvents();
        foreach (var field in EventsSchema.Default.Fields)
        {
            var query = field.Type switch
            {
                HuntingFieldType.String => $"{field.Name} != \"x\"",
                HuntingFieldType.Boolean => $"{field.Name} != \"true\"",
                _ => $"{field.Name} != 1",
            };
            db.Match(query);
            if (!field.IsList)
            {
                db.MatchSorted(query, field.Name + " desc");
            }
        }
    }

    [Theory]
    [InlineData("Foo")]
    [InlineData("Parent.Foo")]
    [InlineData("Cwd.Inner")]
    [InlineData("Host'")]
    [InlineData("a;b")]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("1abc")]
    [InlineData("Хост")]
    public void UnknownOrMalformedNames_DoNotResolve(string name)
    {
        Assert.False(EventsSchema.Default.TryResolve(name, out _));
    }

    [Theory]
    [InlineData("Host'")]
    [InlineData("a;b")]
    [InlineData("a..b")]
    [InlineData("1abc")]
    [InlineData("x y")]
    public void AnyJsonPath_RejectsMalformedNames(string name)
    {
        Assert.False(EventsSchema.AnyJsonPath.TryResolve(name, out _));
    }

    [Theory]
    [InlineData("ExitCode", new[] { "exit_code" })]
    [InlineData("Parent.CommandLine", new[] { "parent", "command_line" })]
    [InlineData("HTTPServer.RemoteIp", new[] { "http_server", "remote_ip" })]
    [InlineData("already_snake", new[] { "already_snake" })]
    [InlineData("Sha256Sum", new[] { "sha256_sum" })]
    public void AnyJsonPath_ConvertsPascalCaseToSnakeCase(string name, string[] path)
    {
        Assert.True(EventsSchema.AnyJsonPath.TryResolve(name, out var field));
        Assert.Equal(path, field.JsonPath);
        Assert.Equal(HuntingFieldType.String, field.Type);
    }

    [Fact]
    public void AnyJsonPath_StillPrefersTypedColumns()
    {
        Assert.True(EventsSchema.AnyJsonPath.TryResolve("command_line", out var field));
        Assert.Equal("command_line", field.Column);
    }

    [Theory]
    [InlineData("Parent", "field 'Parent' is a message; compare one of its fields, such as 'Parent.UniquePid'")]
    [InlineData("Foo", "unknown field 'Foo'")]
    [InlineData("a'b", "invalid field name 'a'b'")]
    public void ExplainUnresolved_SaysWhy(string name, string explanation) =>
        Assert.Equal(explanation, EventsSchema.Default.ExplainUnresolved(name));

    [Theory]
    [InlineData("x\"; DROP TABLE events; --")]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("é")]
    public void HuntingField_RejectsUnsafeIdentifiers(string identifier)
    {
        Assert.Throws<ArgumentException>(() => HuntingField.ForColumn("X", identifier, HuntingFieldType.String));
        Assert.Throws<ArgumentException>(() => HuntingField.ForJson("X", identifier, ["a"], HuntingFieldType.String));
        Assert.Throws<ArgumentException>(() => HuntingField.ForJson("X", "attrs", ["a", identifier], HuntingFieldType.String));
        Assert.Throws<ArgumentException>(() => new PayloadScope(identifier, ["ProcessStart"]));
        Assert.Throws<ArgumentException>(() => new PayloadScope("event_type", [identifier]));
    }
}
