using Google.Protobuf.Reflection;
using Osprey.Contracts.V1;

namespace Osprey.Contracts.Inventory;

/// <summary>Flattens a message into the data items it carries, following nested messages.</summary>
public static class InventoryFlattener
{
    /// <summary>
    /// Lists the data items of <paramref name="message"/>. A nested message that is itself listed
    /// under <paramref name="section"/> becomes one reference row instead of being repeated; a
    /// message already being expanded on the current path becomes a "recursive" row.
    /// </summary>
    public static IReadOnlyList<InventoryItem> Flatten(MessageDescriptor message, DataFlow section)
    {
        ArgumentNullException.ThrowIfNull(message);
        var items = new List<InventoryItem>();
        var expanding = new HashSet<string>(StringComparer.Ordinal) { message.FullName };
        Walk(message, "", section, expanding, items);
        return items;
    }

    private static void Walk(
        MessageDescriptor message, string prefix, DataFlow section, HashSet<string> expanding, List<InventoryItem> items)
    {
        foreach (var field in message.Fields.InDeclarationOrder())
        {
            var path = prefix + field.Name;
            if (!SchemaCatalog.InheritsClassification(field))
            {
                items.Add(new InventoryItem(path, TypeName(field), SchemaCatalog.ClassificationOf(field), null));
                continue;
            }

            var nested = field.MessageType;
            var typeName = (field.IsRepeated ? "repeated " : "") + nested.Name;
            var nestedPath = field.IsRepeated ? path + "[]" : path;
            if (expanding.Contains(nested.FullName))
            {
                items.Add(new InventoryItem(nestedPath, typeName, null, $"recursive: {nested.Name} is expanded above"));
            }
            else if (nested.File.Package != SchemaCatalog.Package)
            {
                items.Add(new InventoryItem(nestedPath, nested.FullName, SchemaCatalog.ClassificationOf(field), null));
            }
            else if (SchemaCatalog.FlowsOf(nested).Contains(section))
            {
                items.Add(new InventoryItem(nestedPath, typeName, null, $"see \"{SchemaCatalog.TitleOf(nested)}\""));
            }
            else
            {
                expanding.Add(nested.FullName);
                Walk(nested, nestedPath + ".", section, expanding, items);
                expanding.Remove(nested.FullName);
            }
        }
    }

    private static string TypeName(FieldDescriptor field)
    {
        var name = field.IsMap
            ? $"map<{TypeName(field.MessageType.FindFieldByNumber(1))}, {TypeName(field.MessageType.FindFieldByNumber(2))}>"
            : field.FieldType switch
            {
                FieldType.Enum => field.EnumType.Name,
                FieldType.Message or FieldType.Group => field.MessageType.Name,
                FieldType.Double => "double",
                FieldType.Float => "float",
                FieldType.Int64 => "int64",
                FieldType.UInt64 => "uint64",
                FieldType.Int32 => "int32",
                FieldType.Fixed64 => "fixed64",
                FieldType.Fixed32 => "fixed32",
                FieldType.Bool => "bool",
                FieldType.String => "string",
                FieldType.Bytes => "bytes",
                FieldType.UInt32 => "uint32",
                FieldType.SFixed32 => "sfixed32",
                FieldType.SFixed64 => "sfixed64",
                FieldType.SInt32 => "sint32",
                FieldType.SInt64 => "sint64",
                _ => field.FieldType.ToString(),
            };
        return field.IsRepeated && !field.IsMap ? "repeated " + name : name;
    }
}
