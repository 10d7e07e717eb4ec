using System.Text.Json;
using System.Text.Json.Serialization;
using Osprey.Contracts.Security;

namespace Osprey.Agent.Hosting;

/// <summary>The agent's status as <c>run</c> writes it every few seconds and <c>status</c> shows it.</summary>
public sealed record StatusFile
{
    public required string AgentId { get; init; }
    public required int Pid { get; init; }
    public required long StartedUs { get; init; }
    public required long WrittenUs { get; init; }
    public required string ConnectionState { get; init; }
    public string? NodeInUse { get; init; }
    public long LastContactUs { get; init; }
    public string? LastError { get; init; }
    public required IReadOnlyList<CertificateErrorEntry> CertificateErrors { get; init; }
    public long QueueDepth { get; init; }
    public long QueueBytes { get; init; }
    public long QueueOldestUs { get; init; }
    public ulong LastSequence { get; init; }
    public ulong AckedSequence { get; init; }
    public long DroppedEvents { get; init; }
    public long ExcludedEvents { get; init; }
    public required IReadOnlyList<SensorEntry> Sensors { get; init; }

    public static void Write(string path, StatusFile status) =>
        SecureFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(status, StatusFileJson.Default.StatusFile));

    public static StatusFile? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), StatusFileJson.Default.StatusFile);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public sealed record CertificateErrorEntry(long TimeUs, string Side, string Node, string Message);

public sealed record SensorEntry(string Name, string State, string? Message, long Events, long Lost);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusFile))]
public sealed partial class StatusFileJson : JsonSerializerContext;
