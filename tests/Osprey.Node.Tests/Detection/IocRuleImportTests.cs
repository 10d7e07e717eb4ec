using System.Net.Http.Json;
using System.Text.Json;
using Osprey.Node.Tests.Support;
using Osprey.Testing.Paths;

namespace Osprey.Node.Tests.Detection;

/// <summary>OpenIOC files imported as rules through the operator API: each stored with its parse status, reason and warnings.</summary>
public sealed class IocRuleImportTests
{
    private const string Valid = """
        <?xml version="1.0" encoding="utf-8"?>
        <OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="0c7b0a52-1111-4222-8333-944445555666" last-modified="2024-01-01T00:00:00Z" published-date="0001-01-01T00:00:00">
          <metadata><short_description>Planted miner</short_description><authored_date>2024-01-01T00:00:00Z</authored_date></metadata>
          <criteria>
            <Indicator operator="OR" id="top">
              <IndicatorItem id="name" condition="is" preserve-case="false" negate="false"><Context document="ProcessItem" search="ProcessItem/name" type="mir"/><Content type="string">xmrig</Content></IndicatorItem>
              <IndicatorItem id="reg" condition="contains" preserve-case="false" negate="false"><Context document="RegistryItem" search="RegistryItem/Path" type="mir"/><Content type="string">Run</Content></IndicatorItem>
            </Indicator>
          </criteria>
        </OpenIOC>
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> ImportAsync(HttpClient client, params (string Name, string Content)[] files)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/rules/import", new { kind = "ioc", files = files.Select(f => new { name = f.Name, content = f.Content }) }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    [Fact]
    public async Task Import_StoresParsedFilesEnabled_AndRejectedOnesInvalidWithTheReason()
    {
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();

        var result = await ImportAsync(client, ("miner.ioc", Valid), ("broken.ioc", Valid.Replace("condition=\"is\"", "condition=\"resembles\"", StringComparison.Ordinal)), ("notes.xml", "<notes/>"));

        Assert.Equal(1, result.GetProperty("compiled").GetInt32());
        Assert.Equal(2, result.GetProperty("invalid").GetInt32());
        var rules = result.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.Equal("ioc-0c7b0a52-1111-4222-8333-944445555666", rules["miner.ioc"].GetProperty("ruleId").GetString());
        Assert.Equal("Planted miner", rules["miner.ioc"].GetProperty("title").GetString());
        Assert.Contains(rules["miner.ioc"].GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("RegistryItem/Path", StringComparison.Ordinal));
        Assert.Contains("condition 'resembles'", rules["broken.ioc"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("not an OpenIOC document", rules["notes.xml"].GetProperty("reason").GetString(), StringComparison.Ordinal);

        var listed = (await client.GetFromJsonAsync<JsonElement>("/api/v1/rules?kind=ioc", Ct)).EnumerateArray().ToDictionary(r => r.GetProperty("source").GetString()!);
        Assert.Equal(3, listed.Count);
        Assert.True(listed["miner.ioc"].GetProperty("enabled").GetBoolean());
        Assert.Equal("compiled", listed["miner.ioc"].GetProperty("status").GetString());
        Assert.False(listed["broken.ioc"].GetProperty("enabled").GetBoolean());
        Assert.Equal("invalid", listed["broken.ioc"].GetProperty("status").GetString());

        // Shown with its text, so a scan can be built from the stored rule.
        var shown = await client.GetFromJsonAsync<JsonElement>("/api/v1/rules/ioc-0c7b0a52-1111-4222-8333-944445555666", Ct);
        Assert.Equal(Valid, shown.GetProperty("content").GetString());

        // Re-importing the same document replaces it (one rule, a new version).
        await ImportAsync(client, ("miner-again.ioc", Valid));
        var again = (await client.GetFromJsonAsync<JsonElement>("/api/v1/rules?kind=ioc", Ct)).EnumerateArray().ToList();
        Assert.Equal(3, again.Count);
        Assert.Equal(2, again.Single(r => r.GetProperty("ruleId").GetString() == "ioc-0c7b0a52-1111-4222-8333-944445555666").GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Import_TheWholeCorpus_EveryFileParses()
    {
        var root = CorporaPaths.Require("openioc");
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".ioc", StringComparison.Ordinal) || f.EndsWith(".ioc.xml", StringComparison.Ordinal))
            .Select(f => (Path.GetRelativePath(root, f), File.ReadAllText(f))).ToArray();
        Assert.Equal(150, files.Length);
        await using var node = await TestNode.StartAsync();
        using var client = node.Operator();

        var result = await ImportAsync(client, files);

        var invalid = result.GetProperty("rules").EnumerateArray().Where(r => r.GetProperty("status").GetString() != "compiled").Select(r => r.GetProperty("reason").GetString()).ToList();
        Assert.True(invalid.Count == 0, string.Join("\n", invalid));
        Assert.Equal(150, result.GetProperty("compiled").GetInt32());
    }
}
