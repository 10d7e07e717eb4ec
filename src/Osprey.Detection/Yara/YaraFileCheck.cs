namespace Osprey.Detection.Yara;

/// <summary>What compiling one rule file on its own gave: its errors (none when it compiles), warnings and public rules.</summary>
public sealed record YaraFileCheck(string Name, IReadOnlyList<YaraDiagnostic> Errors, IReadOnlyList<YaraDiagnostic> Warnings, IReadOnlyList<string> Rules)
{
    public bool Compiled => Errors.Count == 0;

    /// <summary>The first error as "file:line: message", or null.</summary>
    public string? Reason => Errors.Count == 0 ? null : string.Join("; ", Errors.Take(5));
}
