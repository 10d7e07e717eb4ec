namespace Osprey.Detection.Yara;

/// <summary>Rule files did not compile; <see cref="Errors"/> name the file and line of each fault.</summary>
public sealed class YaraCompileException(IReadOnlyList<YaraDiagnostic> errors)
    : Exception("YARA rules do not compile: " + string.Join("; ", errors.Take(10)))
{
    public IReadOnlyList<YaraDiagnostic> Errors { get; } = errors;
}
