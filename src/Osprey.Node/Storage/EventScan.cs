namespace Osprey.Node.Storage;

/// <summary>
/// Which stored events a retrospective scan reads: those whose typed column holds one of the listed values (text
/// compared ignoring ASCII case, except the hash columns, stored in lower case and compared exactly so their
/// indexes serve), plus every event of the listed types, within the time range.
/// </summary>
public sealed record EventScan
{
    /// <summary>Columns a scan may name, so no other text reaches the SQL.</summary>
    public static readonly IReadOnlySet<string> TextColumns = new HashSet<string>(StringComparer.Ordinal)
    {
        "md5", "sha256", "process_name", "process_path", "file_name", "file_path", "remote_ip", "local_ip", "dns_name", "command_line", "user_name",
    };

    public static readonly IReadOnlySet<string> NumberColumns = new HashSet<string>(StringComparer.Ordinal) { "remote_port", "local_port", "pid" };

    public long? FromUs { get; init; }
    public long? ToUs { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Texts { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyDictionary<string, IReadOnlyList<long>> Numbers { get; init; } = new Dictionary<string, IReadOnlyList<long>>();
    public IReadOnlyList<string> EventTypes { get; init; } = [];

    public bool IsEmpty => Texts.Values.All(v => v.Count == 0) && Numbers.Values.All(v => v.Count == 0) && EventTypes.Count == 0;
}
