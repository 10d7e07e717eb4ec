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

    private const string Ioc = """<OpenIOC xmlns="http://openioc.org/schemas/OpenIOC_1.1" id="d"><criteria><Indicator operator="OR" id="t"><IndicatorItem id="i" condition="is"><Context search="ProcessItem/name"/><Content>x</Content></IndicatorItem></Indicator></criteria></OpenIOC>""";

    [Fact]
    public void IocScan_WithAParsableFile_IsSet_AndStampedWithItsSha256()
    {
        var definition = new TaskDefinition { Type = "ioc-scan" };
        var error = TaskCatalog.SetParams(definition, IocParams(Ioc, "\"maxFiles\": 1000, \"fileRoots\": [\"/srv\"]"));
        Assert.Null(error);
        TaskCatalog.Stamp(definition);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Ioc))), definition.IocScan.IocFiles[0].Sha256);
    }

    [Theory]
    [InlineData("<OpenIOC/>", "", "not an OpenIOC document")]
    [InlineData(Ioc, "\"maxFiles\": 99000000", "bounds too high")]
    [InlineData(Ioc, "\"fileRoots\": [\"tmp\"]", "is not an absolute path")]
    [InlineData(Ioc, "\"fileRoots\": [\"/tmp/../etc\"]", "is not an absolute path")]
    public void IocScan_WithABadFileOrBound_IsRefusedAndNothingSet(string ioc, string more, string message)
    {
        var definition = new TaskDefinition { Type = "ioc-scan" };
        var error = TaskCatalog.SetParams(definition, IocParams(ioc, more));
        Assert.NotNull(error);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(TaskDefinition.ParamsOneofCase.None, definition.ParamsCase);
    }

    [Fact]
    public void IocScan_WithoutFiles_OrWithAWrongSha256_IsRefused()
    {
        Assert.Contains("1 to 1000 IOC files", TaskCatalog.SetParams(new TaskDefinition { Type = "ioc-scan" }, Json("{}")), StringComparison.Ordinal);
        var content = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Ioc));
        var wrong = Json($$"""{"iocFiles":[{"name":"a.ioc","content":"{{content}}","sha256":"{{new string('0', 64)}}"}]}""");
        Assert.Contains("does not match its sha256", TaskCatalog.SetParams(new TaskDefinition { Type = "ioc-scan" }, wrong), StringComparison.Ordinal);
    }

    private static JsonElement IocParams(string ioc, string more) =>
        Json($$"""{"iocFiles":[{"name":"a.ioc","content":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ioc))}}"}]{{(more.Length > 0 ? ", " + more : "")}}}""");

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
