using Google.Protobuf.Reflection;
using Osprey.Contracts.Inventory;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Inventory;

public sealed class SchemaCatalogTests
{
    [Fact]
    public void Files_CoverEveryProtoFileInTheRepository()
    {
        var onDisk = Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "proto", "osprey", "v1"), "*.proto")
            .Select(path => "osprey/v1/" + Path.GetFileName(path))
            .Order(StringComparer.Ordinal);

        Assert.Equal(onDisk, SchemaCatalog.Files.Select(file => file.Name));
    }

    [Fact]
    public void Schema_EveryNonMessageField_IsClassified()
    {
        var fields = SchemaCatalog.AllMessages
            .Where(message => message.GetOptions()?.MapEntry != true)
            .SelectMany(message => message.Fields.InDeclarationOrder())
            .Where(field => !SchemaCatalog.InheritsClassification(field))
            .ToList();

        var unclassified = fields
            .Where(field => SchemaCatalog.ClassificationOf(field) == DataClass.Unspecified)
            .Select(field => field.FullName)
            .ToList();

        Assert.True(fields.Count > 500, $"Only {fields.Count} fields found: schema discovery is broken.");
        Assert.True(unclassified.Count == 0, "Fields without [(classification) = DATA_CLASS_…]: " + string.Join(", ", unclassified));
    }

    [Fact]
    public void Schema_MessageTypedFields_CarryNoClassificationOfTheirOwn()
    {
        // The mark would be ignored: message fields take their classification from their own fields.
        var marked = SchemaCatalog.AllMessages
            .SelectMany(message => message.Fields.InDeclarationOrder())
            .Where(field => SchemaCatalog.InheritsClassification(field) && SchemaCatalog.ClassificationOf(field) != DataClass.Unspecified)
            .Select(field => field.FullName)
            .ToList();

        Assert.True(marked.Count == 0, "Message-typed fields with a classification: " + string.Join(", ", marked));
    }

    [Fact]
    public void Schema_EveryMessageWithFlows_HasAnInventoryTitle()
    {
        var untitled = SchemaCatalog.FlowMessages
            .Where(message => string.IsNullOrWhiteSpace(SchemaCatalog.TitleOf(message)))
            .Select(message => message.FullName)
            .ToList();

        Assert.True(untitled.Count == 0, "Messages with flows but no inventory_title: " + string.Join(", ", untitled));
    }

    [Fact]
    public void Schema_EveryMessage_IsReachableFromAMessageWithFlows()
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<MessageDescriptor>(SchemaCatalog.FlowMessages);
        while (pending.TryPop(out var message))
        {
            if (!reached.Add(message.FullName))
            {
                continue;
            }
            foreach (var field in message.Fields.InDeclarationOrder().Where(SchemaCatalog.InheritsClassification))
            {
                pending.Push(field.MessageType);
            }
        }

        var orphans = SchemaCatalog.AllMessages
            .Where(message => message.GetOptions()?.MapEntry != true && !reached.Contains(message.FullName))
            .Select(message => message.FullName)
            .ToList();

        Assert.True(orphans.Count == 0, "Messages the data inventory never lists (give them flows or use them): " + string.Join(", ", orphans));
    }
}
