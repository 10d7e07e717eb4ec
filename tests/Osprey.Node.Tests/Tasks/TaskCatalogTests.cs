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

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
