using System.Reflection;
using Google.Protobuf.Reflection;
using Osprey.Contracts.V1;

namespace Osprey.Contracts.Inventory;

/// <summary>The osprey.v1 protobuf schema as compiled into this assembly, with its data-inventory marks.</summary>
public static class SchemaCatalog
{
    public const string Package = "osprey.v1";

    private static readonly Lazy<IReadOnlyList<FileDescriptor>> LazyFiles = new(Discover);

    /// <summary>Every osprey.v1 file, ordered by name.</summary>
    public static IReadOnlyList<FileDescriptor> Files => LazyFiles.Value;

    /// <summary>Every osprey.v1 message, nested ones included, in file and declaration order.</summary>
    public static IEnumerable<MessageDescriptor> AllMessages =>
        Files.SelectMany(file => file.MessageTypes).SelectMany(WithNested);

    /// <summary>Top-level messages that carry at least one data flow.</summary>
    public static IEnumerable<MessageDescriptor> FlowMessages =>
        Files.SelectMany(file => file.MessageTypes).Where(message => FlowsOf(message).Count > 0);

    public static DataClass ClassificationOf(FieldDescriptor field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.GetOptions()?.GetExtension(OptionsExtensions.Classification) ?? DataClass.Unspecified;
    }

    public static IReadOnlyList<DataFlow> FlowsOf(MessageDescriptor message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.GetOptions()?.GetExtension(OptionsExtensions.Flows) is { } flows ? [.. flows] : [];
    }

    public static string TitleOf(MessageDescriptor message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.GetOptions()?.GetExtension(OptionsExtensions.InventoryTitle) ?? "";
    }

    /// <summary>
    /// Whether a field's data items are described by the fields of its message type rather than by
    /// a classification of its own. Map fields are message-typed on the wire but carry their own mark.
    /// </summary>
    public static bool InheritsClassification(FieldDescriptor field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.FieldType is FieldType.Message or FieldType.Group && !field.IsMap;
    }

    private static IEnumerable<MessageDescriptor> WithNested(MessageDescriptor message) =>
        message.NestedTypes.SelectMany(WithNested).Prepend(message);

    // Discovers the *Reflection classes protoc generated, so a new .proto file is covered without
    // a list to update; dependencies are followed for files that only other files import.
    private static IReadOnlyList<FileDescriptor> Discover()
    {
        var pending = new Stack<FileDescriptor>();
        foreach (var type in typeof(SchemaCatalog).Assembly.GetTypes())
        {
            if (type.Namespace == typeof(Event).Namespace
                && type.Name.EndsWith("Reflection", StringComparison.Ordinal)
                && type.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is FileDescriptor file)
            {
                pending.Push(file);
            }
        }

        var files = new SortedDictionary<string, FileDescriptor>(StringComparer.Ordinal);
        while (pending.TryPop(out var file))
        {
            if (file.Package != Package || !files.TryAdd(file.Name, file))
            {
                continue;
            }
            foreach (var dependency in file.Dependencies)
            {
                pending.Push(dependency);
            }
        }
        return [.. files.Values];
    }
}
