using Microsoft.Data.Sqlite;
using Osprey.Detection.Hunting;
using Xunit;

namespace Osprey.Detection.Tests.Hunting;

public sealed class HostileInputTests : IDisposable
{
    private readonly HuntingTestDatabase _db = HuntingTestDatabase.WithSampleEvents();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void HostileStrings_AreMatchedLiterally_AndTheTableSurvives()
    {
        Assert.Equal(["e08"], _db.Match("CommandLine = \"\\\"; DROP TABLE events; --\""));
        Assert.Equal(["e08"], _db.Match("CommandLine = '\"; DROP TABLE events; --'"));
        Assert.Equal(["e08"], _db.Match("UserName = \"' OR 1=1 --\""));
        Assert.Equal(["e08"], _db.Match("CommandLine CONTAINS \"DROP TABLE\" AND UserName STARTS \"' OR\""));
        Assert.Empty(_db.Match("CommandLine = \"' OR 1=1 --\""));
        Assert.Empty(_db.Match("CommandLine = \"x' OR '1'='1\""));
        Assert.Equal(11, _db.CountRows());
    }

    [Theory]
    [InlineData("\"; DROP TABLE events; --")]
    [InlineData("' OR 1=1 --")]
    [InlineData("'); DELETE FROM events; --")]
    [InlineData("\\'; DROP TABLE events; --")]
    [InlineData("$.attrs') OR 1=1 --")]
    [InlineData("$1 :p @x")]
    [InlineData("%' ESCAPE '")]
    public void HostileValues_NeverReachTheSqlText(string value)
    {
        var literal = new System.Text.StringBuilder();
        foreach (var c in value)
        {
            literal.Append(c is '"' or '\\' ? "\\" + c : c.ToString());
        }

        foreach (var op in new[] { "=", "!=", "CONTAINS", "NOT STARTS", "ENDS" })
        {
            foreach (var field in new[] { "CommandLine", "Parent.CommandLine", "ResolvedIps" })
            {
                var compiled = _db.Compiler.Compile($"{field} {op} \"{literal}\"");
                Assert.DoesNotContain(value, compiled.Where, StringComparison.Ordinal);
                _db.Run(compiled);
            }
        }

        Assert.Equal(11, _db.CountRows());
    }

    [Theory]
    [InlineData("Host\" = \"a\"")]
    [InlineData("Host'; DROP TABLE events; -- = \"a\"")]
    [InlineData("Host; DROP TABLE events = \"a\"")]
    [InlineData("Host/**/= \"a\"")]
    [InlineData("Parent.Command\"Line = \"a\"")]
    [InlineData("Parent.CommandLine') OR 1=1 -- = \"a\"")]
    [InlineData("`Host` = \"a\"")]
    [InlineData("[Host] = \"a\"")]
    [InlineData("Хост = \"a\"")]
    [InlineData("Host\u200B = \"a\"")]
    [InlineData("Ho\u0301st = \"a\"")]
    [InlineData("Host = \"a\" -- comment")]
    [InlineData("Host = \"a\" OR 1=1")]
    [InlineData("Host = \"a\" UNION SELECT 1")]
    public void HostileFieldNamesAndSyntax_AreRejected(string query)
    {
        Assert.Throws<HuntingQueryException>(() => _db.Match(query));
        Assert.Equal(11, _db.CountRows());
    }

    [Fact]
    public void FullWidthDigitsAndLetters_AreNotTokens()
    {
        Assert.Throws<HuntingQueryException>(() => _db.Match("Pid = １０１"));
        Assert.Throws<HuntingQueryException>(() => _db.Match("Ｈost = \"a\""));
        Assert.Equal(["e01", "e03"], _db.Match("Pid = 101"));
    }

    [Fact]
    public void UnicodeInValues_IsMatchedLiterally()
    {
        _db.Insert(new EventRow { EventId = "u1", EventType = "ProcessStart", CommandLine = "rm -rf /\u202E\u0000\uFEFF\uD83D\uDE00" });
        _db.Insert(new EventRow { EventId = "u2", EventType = "ProcessStart", CommandLine = "rm -rf /\u202E\uFEFF\uD83D\uDE00" });
        Assert.Equal(["u1"], _db.Match("CommandLine = \"rm -rf /\u202E\u0000\uFEFF\uD83D\uDE00\""));
        Assert.Equal(["u2"], _db.Match("CommandLine = \"rm -rf /\u202E\uFEFF\uD83D\uDE00\""));
        Assert.Empty(_db.Match("CommandLine = \"rm -rf /\""));

        // SQLite's LIKE stops at an embedded NUL, so u1 only matches up to it (see README.md).
        Assert.Equal(["u2"], _db.Match("CommandLine ENDS \"\uD83D\uDE00\""));
        Assert.Equal(["u1", "u2"], _db.Match("CommandLine STARTS \"rm -rf /\u202E\""));
    }

    [Fact]
    public void DeepestAllowedNesting_RunsOnSqlite()
    {
        var query = new string('(', 63) + "NOT Pid = 101" + new string(')', 63);
        Assert.Equal(SampleEvents.AllExcept("e01", "e03"), _db.Match(query));

        var alternating = "Pid = 101";
        for (var i = 0; i < 32; i++)
        {
            alternating = i % 2 == 0 ? $"Host = \"web-01\" AND ({alternating})" : $"Pid = 404 OR ({alternating})";
        }

        Assert.Equal(["e01", "e03", "e08"], _db.Match(alternating));
    }

    [Fact]
    public void MostConditionsAllowed_RunOnSqlite()
    {
        var or = string.Join(" OR ", Enumerable.Range(0, 512).Select(i => $"Cwd NOT CONTAINS \"x{i}\""));
        Assert.True(or.Length <= HuntingQueryLimits.MaxQueryLength);
        Assert.Equal(SampleEvents.AllIds, _db.Match(or));
        var and = string.Join(" AND ", Enumerable.Range(0, 512).Select(i => $"Cwd NOT CONTAINS \"x{i}\""));
        Assert.Equal(SampleEvents.AllIds, _db.Match(and));
        var json = string.Join(" OR ", Enumerable.Range(0, 512).Select(i => $"ExitCode = {i + 1} OR ResolvedIps = \"{i}\"").Take(256));
        Assert.Equal(["e04"], _db.Match(json));
    }

    [Fact]
    public void HugeInLists_ArePassedAsOneParameter_AndRunOnSqlite()
    {
        var values = string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"\\\"; DROP TABLE events; -- {i}\""));
        var query = string.Join(" OR ", Enumerable.Range(0, 40).Select(_ => $"CommandLine IN ({values})"));
        Assert.True(query.Length > HuntingQueryLimits.MaxQueryLength);
        Assert.Throws<HuntingQueryException>(() => _db.Match(query));

        var many = string.Join(" OR ", Enumerable.Range(0, 512).Select(i => $"Pid IN ({i}, {i + 1000}, {i + 2000})"));
        var compiled = _db.Compiler.Compile(many);
        Assert.Equal(512, compiled.Parameters.Count);
        Assert.Equal(["e01", "e02", "e03", "e04", "e05", "e06", "e07", "e08", "e09"], _db.Run(compiled));
    }

    [Fact]
    public void RandomInput_GivesAMatchOrAHuntingQueryException_NeverASqlError()
    {
        var random = new Random(20261121);
        string[] textFields = ["Host", "CommandLine", "Parent.CommandLine", "ResolvedIps", "Cwd", "EventType"];
        string[] textOperators = ["=", "!=", "CONTAINS", "NOT CONTAINS", "!STARTS", "STARTS", "ENDS", "NOT ENDS", "IN", "NOT IN"];
        string[] textValues = ["\"x\"", "'y'", "\"%_\\\\\"", "\"\\\"; DROP TABLE events; --\"", "\"' OR 1=1 --\"", "\"é\u0000\"", "\"\"", "7"];
        string[] integerFields = ["Pid", "Parent.Pid", "ExitCode", "File.Size", "EventTime", "RemotePort"];
        string[] integerOperators = ["=", "!=", ">", "<", ">=", "<=", "IN", "NOT IN"];
        string[] integerValues = ["1", "-5", "'7'", "0", "9223372036854775807"];
        string[] wrong = ["Foo", "a'b", "==", "!", "LIKE", "bare", "\"", "9999999999999999999", "\"2026-13-01\"", "CONTAINS", "(", ")", ",", ";", "--", "\\", "\u0000", "AND", "OR", "NOT"];
        var compiled = 0;
        for (var i = 0; i < 3000; i++)
        {
            var query = new System.Text.StringBuilder();
            var terms = random.Next(1, 6);
            for (var t = 0; t < terms; t++)
            {
                var text = random.Next(2) == 0;
                var parts = new List<string>
                {
                    text ? textFields[random.Next(textFields.Length)] : integerFields[random.Next(integerFields.Length)],
                    text ? textOperators[random.Next(textOperators.Length)] : integerOperators[random.Next(integerOperators.Length)],
                };
                string Value() => text ? textValues[random.Next(textValues.Length)] : integerValues[random.Next(integerValues.Length)];
                parts.Add(parts[1].EndsWith("IN", StringComparison.Ordinal) ? $"({Value()}, {Value()})" : Value());
                if (random.Next(6) == 0)
                {
                    parts[random.Next(parts.Count)] = wrong[random.Next(wrong.Length)];
                }

                query.Append(t == 0 ? string.Empty : random.Next(2) == 0 ? " AND " : " OR ");
                query.Append(random.Next(4) == 0 ? "NOT (" : "(").Append(string.Join(' ', parts)).Append(')');
            }

            var queryText = query.ToString();
            try
            {
                _db.Run(_db.Compiler.Compile(queryText));
                compiled++;
            }
            catch (HuntingQueryException error)
            {
                Assert.InRange(error.Position, 0, queryText.Length);
            }
            catch (SqliteException error)
            {
                Assert.Fail($"query {queryText} produced invalid SQL: {error.Message}");
            }
        }

        Assert.InRange(compiled, 300, 2700);
        Assert.Equal(11, _db.CountRows());
    }

    [Fact]
    public void MutatedValidQueries_GiveAMatchOrAHuntingQueryException()
    {
        const string Valid = "EventType = \"ProcessStart\" AND (CommandLine CONTAINS \"curl\" OR Parent.Pid IN (1, 2)) AND NOT EventTime < '2026-11-21'";
        var random = new Random(7);
        for (var i = 0; i < 3000; i++)
        {
            var chars = Valid.ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(3))
                {
                    case 0: chars.RemoveAt(at); break;
                    case 1: chars.Insert(at, Valid[random.Next(Valid.Length)]); break;
                    default: chars[at] = (char)random.Next(0x20, 0x7F); break;
                }
            }

            var query = new string([.. chars]);
            try
            {
                _db.Run(_db.Compiler.Compile(query));
            }
            catch (HuntingQueryException error)
            {
                Assert.InRange(error.Position, 0, query.Length);
            }
        }

        Assert.Equal(11, _db.CountRows());
    }
}
