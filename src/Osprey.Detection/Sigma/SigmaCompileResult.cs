using System.Globalization;

namespace Osprey.Detection.Sigma;

/// <summary>
/// The outcome for one rule (one YAML document) of a file: Compiled with the rule, Unsupported with the reason Osprey
/// cannot evaluate it, or Invalid with what is wrong. Every document of every file gets one; none is dropped.
/// </summary>
public sealed record SigmaCompileResult
{
    public required SigmaCompileStatus Status { get; init; }

    /// <summary>The file (or name) compiled.</summary>
    public required string Source { get; init; }

    /// <summary>0-based index of the YAML document in the file.</summary>
    public int Document { get; init; }

    /// <summary>The rule's metadata when it could be read (always for Compiled and Unsupported).</summary>
    public SigmaRule? Rule { get; init; }

    /// <summary>The compiled rule; null unless Compiled.</summary>
    public CompiledSigmaRule? Compiled { get; init; }

    /// <summary>Why the rule is Unsupported or Invalid (with the line when known); null when Compiled.</summary>
    public string? Reason { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>"path (document 2): unsupported: reason", for logs and the CLI.</summary>
    public string Message
    {
        get
        {
            var where = Document == 0 ? Source : string.Create(CultureInfo.InvariantCulture, $"{Source} (document {Document + 1})");
            var title = Rule is null ? "" : $" '{Rule.Title}'";
            return Status switch
            {
                SigmaCompileStatus.Compiled => $"{where}: compiled{title}",
                SigmaCompileStatus.Unsupported => $"{where}: unsupported{title}: {Reason}",
                _ => $"{where}: invalid{title}: {Reason}",
            };
        }
    }

    public override string ToString() => Message;
}
