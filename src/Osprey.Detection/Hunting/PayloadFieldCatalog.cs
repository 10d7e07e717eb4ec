using Google.Protobuf.Reflection;

namespace Osprey.Detection.Hunting;

/// <summary>
/// Every field path of the event payload messages, read from the protobuf descriptors at run time so that
/// payload fields added to the schema become searchable without a change here.
/// </summary>
internal sealed class PayloadFieldCatalog
{
    /// <summary>How deep nested messages are followed (Parent.File.Sha256 is 3).</summary>
    private const int MaxMessageDepth = 6;

    private readonly Dictionary<string, PayloadFieldEntry> _entries = new(StringComparer.Ordinal);

    private PayloadFieldCatalog()
    {
    }

    /// <summary>Entries by <see cref="HuntingNames.Normalize"/>d dotted name.</summary>
    public IReadOnlyDictionary<string, PayloadFieldEntry> Entries => _entries;

    /// <summary>Reads the payload messages of <paramref name="envelope"/>'s oneof <paramref name="payloadOneof"/>; each oneof field name, in PascalCase, is an event type name.</summary>
    public static PayloadFieldCatalog Build(MessageDescriptor envelope, string payloadOneof)
    {
        var catalog = new PayloadFieldCatalog();
        var oneof = envelope.Oneofs.FirstOrDefault(o => string.Equals(o.Name, payloadOneof, StringComparison.Ordinal))
            ?? throw new ArgumentException($"{envelope.FullName} has no oneof '{payloadOneof}'.", nameof(payloadOneof));
        foreach (var payload in oneof.Fields)
        {
            if (payload.FieldType == FieldType.Message)
            {
                var eventType = HuntingNames.ToPascalCase(payload.Name);
                catalog.Walk(payload.MessageType, [], eventType, [payload.MessageType.FullName]);
            }
        }

        return catalog;
    }

    private void Walk(MessageDescriptor message, List<string> path, string eventType, HashSet<string> enclosing)
    {
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            path.Add(field.Name);
            var name = string.Join('.', path.Select(HuntingNames.ToPascalCase));
            var (type, problem) = Classify(field, name);
            var entry = new PayloadFieldEntry
            {
                Name = name,
                Path = [.. path],
                Type = type,
                Problem = problem,
                IsList = field.IsRepeated && !field.IsMap,
                HasPresence = field.HasPresence,
            };
            Merge(entry, eventType);

            var nested = IsNavigable(field) ? field.MessageType : null;
            if (nested is not null && path.Count < MaxMessageDepth && enclosing.Add(nested.FullName))
            {
                Walk(nested, path, eventType, enclosing);
                enclosing.Remove(nested.FullName);
            }

            path.RemoveAt(path.Count - 1);
        }
    }

    private static bool IsNavigable(FieldDescriptor field) =>
        field.FieldType == FieldType.Message && !field.IsRepeated && !field.MessageType.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal);

    private static (HuntingFieldType? Type, string? Problem) Classify(FieldDescriptor field, string name)
    {
        if (field.IsMap)
        {
            return (null, $"field '{name}' is a map, which hunting cannot compare");
        }

        switch (field.FieldType)
        {
            case FieldType.String or FieldType.Enum:
                return (HuntingFieldType.String, null);
            case FieldType.Bool:
                return (HuntingFieldType.Boolean, null);
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32:
                return (HuntingFieldType.Integer, null);
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 or FieldType.UInt64 or FieldType.Fixed64:
                // By the schema's convention a *_us integer is Unix microseconds.
                return (field.Name.EndsWith("_us", StringComparison.Ordinal) ? HuntingFieldType.Time : HuntingFieldType.Integer, null);
            case FieldType.Message when field.IsRepeated:
                return (null, $"field '{name}' is a list of messages, which hunting cannot compare");
            case FieldType.Message:
                return ClassifyMessage(field.MessageType, name);
            default:
                return (null, $"field '{name}' holds {field.FieldType.ToString().ToLowerInvariant()} values, which hunting cannot compare");
        }
    }

    private static (HuntingFieldType? Type, string? Problem) ClassifyMessage(MessageDescriptor message, string name)
    {
        switch (message.FullName)
        {
            case "google.protobuf.Timestamp" or "google.protobuf.Duration" or "google.protobuf.StringValue":
                return (HuntingFieldType.String, null);
            case "google.protobuf.Int32Value" or "google.protobuf.UInt32Value" or "google.protobuf.Int64Value" or "google.protobuf.UInt64Value":
                return (HuntingFieldType.Integer, null);
            case "google.protobuf.BoolValue":
                return (HuntingFieldType.Boolean, null);
            default:
                break;
        }

        if (message.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal))
        {
            return (null, $"field '{name}' is a {message.Name}, which hunting cannot compare");
        }

        var example = message.Fields.InDeclarationOrder().FirstOrDefault(f => f.FieldType != FieldType.Message);
        return (null, example is null
            ? $"field '{name}' is a message; compare one of its fields instead"
            : $"field '{name}' is a message; compare one of its fields, such as '{name}.{HuntingNames.ToPascalCase(example.Name)}'");
    }

    private void Merge(PayloadFieldEntry entry, string eventType)
    {
        var key = HuntingNames.Normalize(entry.Name);
        if (!_entries.TryGetValue(key, out var existing))
        {
            entry.EventTypes.Add(eventType);
            _entries.Add(key, entry);
            return;
        }

        existing.EventTypes.Add(eventType);
        var sameShape = existing.Type == entry.Type
            && existing.IsList == entry.IsList
            && existing.HasPresence == entry.HasPresence
            && (existing.Type is not null || string.Equals(existing.Problem, entry.Problem, StringComparison.Ordinal));
        if (!sameShape)
        {
            existing.Type = null;
            existing.Problem = $"field '{entry.Name}' has different types in different event payloads, which hunting cannot compare";
        }
    }
}
