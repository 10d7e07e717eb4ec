namespace Osprey.Agent.Quarantine;

/// <summary>A quarantine operation on one object failed; <see cref="Code"/> is an errno where one applies, else Osprey's own (1000 and up).</summary>
internal class QuarantineException(int code, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The file's contents do not have the hash the task named.</summary>
    public const int HashMismatch = 1000;

    /// <summary>An entry file is damaged, truncated or was changed (it does not authenticate).</summary>
    public const int Corrupt = 1001;

    /// <summary>The file changed, or its path came to name another file, while it was being quarantined.</summary>
    public const int Changed = 1002;

    public int Code { get; } = code;
}
