using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>One run of a task: its definition, the report being filled, and what executors work with.</summary>
internal sealed class TaskRun
{
    public required TaskDefinition Definition { get; init; }

    public required TaskReport Report { get; init; }

    public required TaskServices Services { get; init; }

    /// <summary>The run-as password, opened from the definition; null when none was given.</summary>
    public byte[]? RunAsPassword { get; init; }

    public void AddError(string objectName, int code, string message) =>
        Report.Errors.Add(new ObjectError { ObjectName = objectName, Code = code, Message = message });
}
