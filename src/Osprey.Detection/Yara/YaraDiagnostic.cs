using System.Globalization;

namespace Osprey.Detection.Yara;

/// <summary>An error or warning of the YARA compiler, at a line of a rule file.</summary>
public sealed record YaraDiagnostic(string File, int Line, string Message, bool IsWarning)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}: {(IsWarning ? "warning: " : "")}{Message}");
}
