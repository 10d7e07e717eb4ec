using System.Text.Json;
using Osprey.Contracts.V1;
using Osprey.Node.Tasks;
using Xunit;

namespace Osprey.Node.Tests.Tasks;

public sealed class TaskCatalogTests
{
    [Fact]
    public void Isolate_WithAValidExclusion_IsSet()
    {
        var definition = new TaskDefinition { Type = "isolate" };
        var error = TaskCatalog.SetParams(definition, Json("""{"exclusions":[{"direction":"TRAFFIC_DIRECTION_OUTBOUND","protocol":"tcp","remoteAddress":"10.0.0.0/8","remotePorts":{"first":443,"last":443}}],"releaseAtUs":"1900000000000000"}"""));
        Assert.Null(error);
        Assert.Equal("10.0.0.0/8", definition.Isolate.Exclusions[0].RemoteAddress);
    }

    [Theory]
    [InlineData("""{"exclusions":[{"direction":"TRAFFIC_DIRECTION_OUTBOUND","protocol":"tcp","remoteAddress":"10.0.0.1/8"}]}""", "exclusion 1: '10.0.0.1/8' has address bits set")]
    [InlineData("""{"exclusions":[{"protocol":"tcp","remoteAddress":"10.0.0.0/8"}]}""", "the direction must be in, out or both")]
    [InlineData("""{"exclusions":[{"direction":"TRAFFIC_DIRECTION_BOTH"}]}""", "isolation would do nothing")]
    [InlineData("""{"exclusions":[{"direction":"TRAFFIC_DIRECTION_INBOUND","protocol":"udp","localPorts":{"first":90,"last":80}}]}""", "ends before it starts")]
    public void Isolate_WithABadExclusion_IsRefusedAndNothingSet(string parameters, string message)
    {
        var definition = new TaskDefinition { Type = "isolate" };
        var error = TaskCatalog.SetParams(definition, Json(parameters));
        Assert.NotNull(error);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(TaskDefinition.ParamsOneofCase.None, definition.ParamsCase);
    }

    [Theory]
    [InlineData("rule bad { condition: nonsense }", "/tmp", "bad.yar:1: undefined identifier \"nonsense\"")]
    [InlineData("rule ok { condition: true }", "relative/path", "paths must be absolute")]
    [InlineData("rule ok { condition: true }", "", "name paths to scan")]
    public void YaraScan_WithRulesThatDoNotCompileOrNothingToScan_IsRefusedAndNothingSet(string rule, string path, string message)
    {
        var definition = new TaskDefinition { Type = "yara-scan" };
        var paths = path.Length == 0 ? "[]" : $"[\"{path}\"]";
        var error = TaskCatalog.SetParams(definition, Json($$"""{"ruleFiles":[{"name":"bad.yar","content":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(rule))}}"}],"paths":{{paths}}}"""));
        Assert.NotNull(error);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(TaskDefinition.ParamsOneofCase.None, definition.ParamsCase);
    }

    [Fact]
    public void YaraScan_WithGoodRules_IsSetAndStampedWithEachFilesSha256()
    {
        var content = "rule ok { condition: true }"u8.ToArray();
        var definition = new TaskDefinition { Type = "yara-scan" };
        Assert.Null(TaskCatalog.SetParams(definition, Json($$"""{"ruleFiles":[{"name":"ok.yar","content":"{{Convert.ToBase64String(content)}}"}],"paths":["/tmp"],"recursive":true}""")));

        TaskCatalog.Stamp(definition);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), definition.YaraScan.RuleFiles[0].Sha256);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
