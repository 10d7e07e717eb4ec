using Google.Protobuf;
using Google.Protobuf.Reflection;
using Osprey.Contracts.Inventory;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Inventory;

public sealed class InventoryFlattenerTests
{
    [Fact]
    public void Flatten_NestedMessages_GivesDottedPathsWithRepeatedMarks()
    {
        var items = InventoryFlattener.Flatten(TaskDefinition.Descriptor, DataFlow.NodeToAgent);

        Assert.Contains(items, item => item.Path == "run_as.encrypted_password" && item.Classification == DataClass.Confidential);
        Assert.Contains(items, item => item.Path == "ioc_scan.ioc_files[].content" && item.Type == "bytes");
        Assert.Contains(items, item => item.Path == "isolate.exclusions[].remote_ports.first" && item.Type == "uint32");
    }

    [Fact]
    public void Flatten_MessageListedInTheSameSection_IsReferredTo()
    {
        var items = InventoryFlattener.Flatten(TelemetryBatch.Descriptor, DataFlow.AgentToNode);

        var item = Assert.Single(items);
        Assert.Equal("events[]", item.Path);
        Assert.Null(item.Classification);
        Assert.Contains("Telemetry event", item.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Flatten_RecursiveMessage_StopsAtTheCycle()
    {
        var tree = BuildRecursiveMessage();

        var items = InventoryFlattener.Flatten(tree, DataFlow.NodeStored);

        Assert.Equal(["name", "parent", "leaf.children[]", "leaf.label"], items.Select(item => item.Path));
        Assert.Equal(DataClass.Confidential, items[0].Classification);
        Assert.StartsWith("recursive", items[1].Note, StringComparison.Ordinal);
        Assert.StartsWith("recursive", items[2].Note, StringComparison.Ordinal);
        Assert.Equal(DataClass.Technical, items[3].Classification);
    }

    // Tree { string name; Tree parent; Leaf leaf } and Leaf { repeated Tree children; string label }:
    // the schema has no cycle today, so one is built at run time.
    private static MessageDescriptor BuildRecursiveMessage()
    {
        static FieldDescriptorProto Scalar(string name, int number, DataClass classification)
        {
            var options = new FieldOptions();
            options.SetExtension(OptionsExtensions.Classification, classification);
            return new FieldDescriptorProto
            {
                Name = name, Number = number, JsonName = name,
                Type = FieldDescriptorProto.Types.Type.String,
                Label = FieldDescriptorProto.Types.Label.Optional,
                Options = options,
            };
        }

        static FieldDescriptorProto Nested(string name, int number, string type, bool repeated) => new()
        {
            Name = name, Number = number, JsonName = name,
            Type = FieldDescriptorProto.Types.Type.Message,
            TypeName = ".osprey.v1." + type,
            Label = repeated ? FieldDescriptorProto.Types.Label.Repeated : FieldDescriptorProto.Types.Label.Optional,
        };

        var file = new FileDescriptorProto
        {
            Name = "osprey/v1/test_recursive.proto",
            Package = SchemaCatalog.Package,
            Syntax = "proto3",
            Dependency = { OptionsReflection.Descriptor.Name },
            MessageType =
            {
                new DescriptorProto
                {
                    Name = "Tree",
                    Field =
                    {
                        Scalar("name", 1, DataClass.Confidential),
                        Nested("parent", 2, "Tree", repeated: false),
                        Nested("leaf", 3, "Leaf", repeated: false),
                    },
                },
                new DescriptorProto
                {
                    Name = "Leaf",
                    Field = { Nested("children", 1, "Tree", repeated: true), Scalar("label", 2, DataClass.Technical) },
                },
            },
        };

        var registry = new ExtensionRegistry { OptionsExtensions.Classification, OptionsExtensions.Flows, OptionsExtensions.InventoryTitle };
        var files = FileDescriptor.BuildFromByteStrings(
            [DescriptorReflection.Descriptor.SerializedData, OptionsReflection.Descriptor.SerializedData, file.ToByteString()],
            registry);
        return files[^1].MessageTypes.Single(message => message.Name == "Tree");
    }
}
