using System.Diagnostics.CodeAnalysis;
using Osprey.Contracts.V1;

namespace Osprey.Detection.Hunting;

/// <summary>The hunting schema of the node's <c>events</c> table: typed columns first, then paths into the JSON payload column <c>attrs</c>.</summary>
public sealed class EventsSchema : IHuntingSchema
{
    /// <summary>The column that holds the payload as JSON with the original proto field names.</summary>
    public const string JsonColumn = "attrs";

    /// <summary>The column that holds the event type name ("ProcessStart").</summary>
    public const string EventTypeColumn = "event_type";

    private static readonly HuntingField[] TypedFields =
    [
        HuntingField.ForColumn("EventId", "event_id", HuntingFieldType.String),
        HuntingField.ForColumn("AgentId", "agent_id", HuntingFieldType.String),
        HuntingField.ForColumn("Sequence", "seq", HuntingFieldType.Integer),
        HuntingField.ForColumn("EventType", EventTypeColumn, HuntingFieldType.String),
        HuntingField.ForColumn("EventTime", "event_time", HuntingFieldType.Time),
        HuntingField.ForColumn("Host", "host", HuntingFieldType.String),
        HuntingField.ForColumn("HostIp", "host_ip", HuntingFieldType.String),
        HuntingField.ForColumn("UserName", "user_name", HuntingFieldType.String),
        HuntingField.ForKeyedColumn("UniquePid", "unique_pid", "upid_key"),
        HuntingField.ForKeyedColumn("ParentUniquePid", "parent_unique_pid", "ppid_key"),
        HuntingField.ForColumn("Pid", "pid", HuntingFieldType.Integer),
        HuntingField.ForColumn("ProcessName", "process_name", HuntingFieldType.String),
        HuntingField.ForColumn("ProcessPath", "process_path", HuntingFieldType.String),
        HuntingField.ForColumn("CommandLine", "command_line", HuntingFieldType.String),
        HuntingField.ForColumn("FilePath", "file_path", HuntingFieldType.String),
        HuntingField.ForColumn("FileName", "file_name", HuntingFieldType.String),
        HuntingField.ForKeyedColumn("Md5", "md5", "md5_key"),
        HuntingField.ForKeyedColumn("Sha256", "sha256", "sha256_key"),
        HuntingField.ForColumn("LocalIp", "local_ip", HuntingFieldType.String),
        HuntingField.ForColumn("LocalPort", "local_port", HuntingFieldType.Integer),
        HuntingField.ForColumn("RemoteIp", "remote_ip", HuntingFieldType.String),
        HuntingField.ForColumn("RemotePort", "remote_port", HuntingFieldType.Integer),
        HuntingField.ForColumn("Protocol", "protocol", HuntingFieldType.String),
        HuntingField.ForColumn("DnsName", "dns_name", HuntingFieldType.String),
    ];

    private static readonly Lazy<EventsSchema> DefaultSchema = new(() => new EventsSchema(
        PayloadFieldCatalog.Build(Event.Descriptor, "payload")));

    private readonly Dictionary<string, HuntingField> _fields = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _problems = new(StringComparer.Ordinal);
    private readonly bool _anyJsonPath;

    private EventsSchema(PayloadFieldCatalog? catalog)
    {
        foreach (var field in TypedFields)
        {
            _fields.Add(HuntingNames.Normalize(field.Name), field);
        }

        _anyJsonPath = catalog is null;
        foreach (var (key, entry) in catalog?.Entries ?? new Dictionary<string, PayloadFieldEntry>())
        {
            if (_fields.ContainsKey(key))
            {
                continue;
            }

            if (entry.Type is { } type)
            {
                var scope = entry.HasPresence || entry.IsList ? null : new PayloadScope(EventTypeColumn, [.. entry.EventTypes]);
                _fields.Add(key, HuntingField.ForJson(entry.Name, JsonColumn, entry.Path, type, entry.IsList, scope));
            }
            else
            {
                _problems.Add(key, entry.Problem!);
            }
        }

        Fields = [.. _fields.Values];
    }

    /// <summary>The typed columns plus every comparable payload field of the <c>osprey.v1.Event</c> payload messages; any other name is unknown.</summary>
    public static EventsSchema Default => DefaultSchema.Value;

    /// <summary>The typed text fields looked up through an integer <see cref="LookupKey"/> column (hashes, UniquePIDs).</summary>
    public static IReadOnlyList<HuntingField> KeyedFields { get; } = [.. TypedFields.Where(f => f.KeyColumn is not null)];

    /// <summary>The typed columns plus any well-formed name as a text JSON path (ExitCode → $.exit_code), for payloads this build has no descriptor for.</summary>
    public static EventsSchema AnyJsonPath { get; } = new(null);

    /// <summary>The fields a query can name (typed columns first), for completion in the console; <see cref="AnyJsonPath"/> accepts more.</summary>
    public IReadOnlyList<HuntingField> Fields { get; }

    /// <inheritdoc/>
    public bool TryResolve(string name, [NotNullWhen(true)] out HuntingField? field)
    {
        ArgumentNullException.ThrowIfNull(name);
        field = null;
        if (!HuntingNames.IsFieldName(name))
        {
            return false;
        }

        if (_fields.TryGetValue(HuntingNames.Normalize(name), out field))
        {
            return true;
        }

        if (!_anyJsonPath)
        {
            return false;
        }

        var path = name.Split('.').Select(HuntingNames.ToSnakeCase).ToArray();
        if (path.Any(s => !HuntingNames.IsIdentifier(s)))
        {
            return false;
        }

        field = HuntingField.ForJson(name, JsonColumn, path, HuntingFieldType.String);
        return true;
    }

    /// <inheritdoc/>
    public string ExplainUnresolved(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!HuntingNames.IsFieldName(name))
        {
            return "invalid field name '" + HuntingText.Truncate(name) + "'";
        }

        return _problems.TryGetValue(HuntingNames.Normalize(name), out var problem)
            ? problem
            : "unknown field '" + HuntingText.Truncate(name) + "'";
    }
}
