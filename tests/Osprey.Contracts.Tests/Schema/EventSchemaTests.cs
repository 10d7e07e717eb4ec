using Google.Protobuf;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Schema;

public sealed class EventSchemaTests
{
    private const string TypePrefix = "EVENT_TYPE_";

    private static readonly IReadOnlyList<Google.Protobuf.Reflection.EnumValueDescriptor> EventTypes =
        [.. EventReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("EventType").Values.Where(value => value.Number != 0)];

    private static readonly IReadOnlyList<Google.Protobuf.Reflection.FieldDescriptor> Payloads =
        [.. Event.Descriptor.Oneofs.Single(oneof => oneof.Name == "payload").Fields];

    [Fact]
    public void EventType_EveryValue_HasThePayloadFieldWithItsNumber()
    {
        Assert.Equal(
            EventTypes.Select(value => value.Number).Order(),
            Payloads.Select(field => field.FieldNumber).Order());
    }

    [Fact]
    public void EventType_Name_MatchesThePayloadFieldName()
    {
        foreach (var value in EventTypes)
        {
            var payload = Payloads.Single(field => field.FieldNumber == value.Number);
            Assert.True(
                string.Equals(value.Name[TypePrefix.Length..], payload.Name, StringComparison.OrdinalIgnoreCase),
                $"{value.Name} = {value.Number} but payload field {value.Number} is {payload.Name}.");
        }
    }

    [Fact]
    public void Event_WithWindowsEventLog_SurvivesBinaryAndJsonRoundTrips()
    {
        var data = new WindowsEventData();
        foreach (var field in WindowsEventData.Descriptor.Fields.InDeclarationOrder())
        {
            field.Accessor.SetValue(data, $"{field.Name}-value");
        }
        data.LogonType = "10";
        data.TargetUserName = "alice";
        data.IpAddress = "10.20.30.40";
        var original = new Event
        {
            EventId = "0b9e1f0a-4d8e-4f51-9d0c-3c2a8e1f7a11",
            Sequence = 4242,
            Type = EventType.WindowsEventLog,
            TimeUs = 1_763_700_000_000_000,
            Device = new DeviceRef { HostName = "WS-042", AgentId = "agent-7", OsName = "Windows 11", OsFamily = OsFamily.Windows, Ip = "10.20.30.5" },
            User = new UserRef { Name = "alice", Id = "S-1-5-21-1004336348-1177238915-682003330-1001", Domain = "CORP" },
            Process = new ProcessRef { UniquePid = "5f1c0d4e9b2a47c6a1e3f8d2b7c4e901", Pid = 704, Name = "lsass.exe" },
            WindowsEventLog = new WindowsEventLogEvent
            {
                ProviderName = "Microsoft-Windows-Security-Auditing",
                WindowsEventId = 4624,
                Version = 2,
                Level = 0,
                Task = 12544,
                Opcode = 0,
                Keywords = 0x8020000000000000,
                TimeCreatedUs = 1_763_700_000_000_123,
                EventRecordId = 987_654_321,
                CorrelationActivityId = "{6a1f3c2e-0b9d-4e1a-8f7c-2d3e4f5a6b7c}",
                ExecutionProcessId = 704,
                ThreadId = 1312,
                Channel = "Security",
                Computer = "WS-042.corp.example",
                AuthSubtype = "logon",
                DomainName = "CORP",
                RemoteIp = "10.20.30.40",
                Result = "success",
                Data = data,
                OtherData = { new WindowsEventDataItem { Name = "TargetInfo", Value = "WS-042" } },
            },
        };

        var fromBinary = Event.Parser.ParseFrom(original.ToByteArray());
        var fromJson = Event.Parser.ParseJson(JsonFormatter.Default.Format(original));

        Assert.Equal(original, fromBinary);
        Assert.Equal(original, fromJson);
        Assert.Equal(Event.PayloadOneofCase.WindowsEventLog, fromBinary.PayloadCase);
        Assert.Equal(4624, fromBinary.WindowsEventLog.WindowsEventId);
        Assert.Equal(0x8020000000000000, fromBinary.WindowsEventLog.Keywords);
        Assert.Equal("10", fromBinary.WindowsEventLog.Data.LogonType);
        Assert.Equal("privilege_list-value", fromBinary.WindowsEventLog.Data.PrivilegeList);
        Assert.Equal("workstation_name-value", fromJson.WindowsEventLog.Data.WorkstationName);
    }

    [Fact]
    public void WindowsEventData_HasOneFieldPerBodyFieldOfTheSourceInventory()
    {
        // 99 named EventData fields, AccessList … WorkstationName.
        var names = WindowsEventData.Descriptor.Fields.InDeclarationOrder().Select(field => field.Name).ToList();

        Assert.Equal(99, names.Count);
        Assert.Equal("access_list", names[0]);
        Assert.Equal("workstation_name", names[^1]);
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }
}
