using System.Globalization;

namespace Osprey.Detection.Sigma;

/// <summary>
/// Why a rule cannot be compiled, thrown inside the compiler and turned into an Unsupported or Invalid
/// <see cref="SigmaCompileResult"/>; never escapes the public API.
/// </summary>
internal sealed class SigmaRuleException : Exception
{
    public SigmaRuleException(SigmaCompileStatus status, string reason, int line = 0)
        : base(line > 0 ? string.Create(CultureInfo.InvariantCulture, $"line {line}: {reason}") : reason)
    {
        Status = status;
        Line = line;
    }

    /// <summary>Unsupported or Invalid.</summary>
    public SigmaCompileStatus Status { get; }

    /// <summary>1-based line of the fault in the rule file; 0 when it concerns the whole rule.</summary>
    public int Line { get; }

    public static SigmaRuleException Invalid(string reason, int line = 0) => new(SigmaCompileStatus.Invalid, reason, line);

    public static SigmaRuleException Unsupported(string reason, int line = 0) => new(SigmaCompileStatus.Unsupported, reason, line);
}
