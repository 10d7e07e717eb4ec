using System.Text.Json.Serialization;

namespace Osprey.Node.Configuration;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(NodeOptions))]
internal sealed partial class NodeJsonContext : JsonSerializerContext;
