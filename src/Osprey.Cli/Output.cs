using System.Text.Json;
using Spectre.Console;

namespace Osprey.Cli;

/// <summary>Prints API results as JSON (--json) or as a table of chosen columns.</summary>
public static class Output
{
    private const int RedirectedWidth = 400;

    public static void Print(JsonElement result, bool json, params (string Header, Func<JsonElement, string> Value)[] columns)
    {
        if (json)
        {
            CliJson.Print(result, Console.Out);
            return;
        }
        var rows = result.ValueKind == JsonValueKind.Array ? result.EnumerateArray().ToList() : [result];
        if (Console.IsOutputRedirected)
        {
            // Into a pipe or file the console has no width; wrapping IDs and paths at 80 columns would break grep and cut.
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, RedirectedWidth);
        }
        var table = new Table().Border(TableBorder.Simple);
        foreach (var (header, _) in columns)
        {
            table.AddColumn(header);
        }
        foreach (var row in rows)
        {
            table.AddRow(columns.Select(c => Markup.Escape(c.Value(row))).ToArray());
        }
        AnsiConsole.Write(table);
    }

    public static (string, Func<JsonElement, string>) Column(string header, string property) => (header, e => e.Text(property));

    /// <summary>Name/value lines for one object.</summary>
    public static void PrintObject(JsonElement result, bool json)
    {
        if (json)
        {
            CliJson.Print(result, Console.Out);
            return;
        }
        var table = new Table().Border(TableBorder.None).HideHeaders().AddColumn("").AddColumn("");
        foreach (var property in result.EnumerateObject())
        {
            var value = property.Value.ValueKind == JsonValueKind.Array
                ? string.Join(", ", property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()))
                : property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() ?? "" : property.Value.GetRawText();
            table.AddRow(Markup.Escape(property.Name), Markup.Escape(value));
        }
        AnsiConsole.Write(table);
    }
}
