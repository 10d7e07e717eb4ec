namespace Osprey.Agent.Sensors.Processes;

/// <summary>
/// What the process sensor's reader read of a process at its exec and read whole: the NUL-separated arguments, the
/// working directory and the NUL-separated environment. The process table takes these instead of reading them again;
/// a part without its flag is read from /proc.
/// </summary>
internal readonly ref struct ExecFirstLook
{
    public ReadOnlySpan<byte> Arguments { get; init; }

    public bool HasArguments { get; init; }

    public ReadOnlySpan<byte> Cwd { get; init; }

    public bool HasCwd { get; init; }

    public ReadOnlySpan<byte> Environment { get; init; }

    public bool HasEnvironment { get; init; }
}
