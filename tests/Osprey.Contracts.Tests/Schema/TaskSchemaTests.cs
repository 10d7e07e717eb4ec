using Google.Protobuf;
using Osprey.Contracts.V1;
using Xunit;

namespace Osprey.Contracts.Tests.Schema;

public sealed class TaskSchemaTests
{
    // Task type names of the CLI and API (SPEC §2.5).
    public static TheoryData<string> TaskTypes { get; } =
    [
        "run-process", "terminate-process", "get-file", "delete-file", "quarantine", "quarantine-restore",
        "quarantine-delete", "service", "ioc-scan", "yara-scan", "isolate", "release", "prevention", "dir-list",
        "process-list", "autoruns", "memory-dump", "ram-image", "disk-image", "file-info",
    ];

    private static readonly Google.Protobuf.Reflection.OneofDescriptor Params =
        TaskDefinition.Descriptor.Oneofs.Single(oneof => oneof.Name == "params");

    private static readonly Google.Protobuf.Reflection.OneofDescriptor Results =
        TaskReport.Descriptor.Oneofs.Single(oneof => oneof.Name == "result");

    [Theory]
    [MemberData(nameof(TaskTypes))]
    public void TaskType_HasAParamsCaseAndAResultCaseWithTheSameNumber(string type)
    {
        var caseName = type.Replace('-', '_');

        var parameters = Params.Fields.SingleOrDefault(field => field.Name == caseName);
        var result = Results.Fields.SingleOrDefault(field => field.Name == caseName);

        Assert.True(parameters is not null, $"TaskDefinition.params has no case {caseName} for \"{type}\".");
        Assert.True(result is not null, $"TaskReport.result has no case {caseName} for \"{type}\".");
        Assert.Equal(parameters.FieldNumber, result.FieldNumber);
    }

    [Fact]
    public void TaskOneofs_HaveNoCaseWithoutATaskType()
    {
        var known = TaskTypes.Select(row => row.Data.Replace('-', '_')).ToHashSet(StringComparer.Ordinal);

        Assert.All(Params.Fields, field => Assert.Contains(field.Name, known));
        Assert.All(Results.Fields, field => Assert.Contains(field.Name, known));
    }

    [Fact]
    public void TaskDefinition_WithIsolateParams_SurvivesARoundTrip()
    {
        var original = new TaskDefinition
        {
            TaskId = "task-1",
            Type = "isolate",
            Schedule = new TaskSchedule { Kind = ScheduleKind.Cron, Cron = "0 3 * * *" },
            RunAs = new RunAsAccount { UserName = "svc-edr", EncryptedPassword = ByteString.CopyFrom(1, 2, 3) },
            Isolate = new IsolateParams
            {
                ReleaseAtUs = 1_763_714_400_000_000,
                Exclusions =
                {
                    new IsolationExclusion
                    {
                        Direction = TrafficDirection.Outbound,
                        Protocol = "tcp",
                        RemoteAddress = "10.0.0.0/8",
                        RemotePorts = new PortRange { First = 443, Last = 443 },
                    },
                },
            },
        };

        var parsed = TaskDefinition.Parser.ParseFrom(original.ToByteArray());

        Assert.Equal(original, parsed);
        Assert.Equal(TaskDefinition.ParamsOneofCase.Isolate, parsed.ParamsCase);
    }
}
