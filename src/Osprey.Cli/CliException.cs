namespace Osprey.Cli;

/// <summary>An error to print as "osprey: message" with a non-zero exit code.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
