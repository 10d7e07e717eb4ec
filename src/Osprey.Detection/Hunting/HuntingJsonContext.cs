using System.Text.Json.Serialization;

namespace Osprey.Detection.Hunting;

/// <summary>Source-generated JSON for the list parameters of the SQLite dialect.</summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<long>))]
internal sealed partial class HuntingJsonContext : JsonSerializerContext;
