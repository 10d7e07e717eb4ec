using System.Text.Json;

namespace Osprey.Cli;

/// <summary>JSON settings of the CLI: camelCase on the wire, indented when printed.</summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Print(JsonElement element, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(element, Indented));

    public static string Text(this JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? "",
                JsonValueKind.Null or JsonValueKind.Undefined => "",
                _ => value.GetRawText(),
            }
            : "";
}
