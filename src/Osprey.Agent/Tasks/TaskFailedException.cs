namespace Osprey.Agent.Tasks;

/// <summary>The task as a whole failed: the report gets status "failed", this return code (an errno where one applies) and message.</summary>
internal sealed class TaskFailedException(int returnCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ReturnCode { get; } = returnCode;
}
