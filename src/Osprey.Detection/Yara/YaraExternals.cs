namespace Osprey.Detection.Yara;

/// <summary>
/// The external variables every rule set defines (the ones signature-base and THOR-style rules use), set per scanned
/// object: <c>filename</c> (base name), <c>filepath</c> (full path), <c>extension</c> (with its dot, lower case,
/// ".sh"), <c>filetype</c> ("ELF", "EXE" for MZ, "ZIP", "SCRIPT" for #!, else empty) and <c>owner</c> (user name of the
/// file's owner). Objects without a value get the empty string.
/// </summary>
public sealed record YaraExternals(string FileName, string FilePath, string Extension, string FileType, string Owner)
{
    public static readonly string[] Names = ["filename", "filepath", "extension", "filetype", "owner"];

    public static YaraExternals None { get; } = new("", "", "", "", "");

    /// <summary>The values for a file at <paramref name="path"/> whose first bytes are <paramref name="head"/>.</summary>
    public static YaraExternals ForFile(string path, ReadOnlySpan<byte> head, string owner) =>
        new(Path.GetFileName(path), path, Path.GetExtension(path).ToLowerInvariant(), TypeOf(head), owner);

    public static string TypeOf(ReadOnlySpan<byte> head) => head switch
    {
        [0x7F, (byte)'E', (byte)'L', (byte)'F', ..] => "ELF",
        [(byte)'M', (byte)'Z', ..] => "EXE",
        [(byte)'P', (byte)'K', 3, 4, ..] => "ZIP",
        [(byte)'#', (byte)'!', ..] => "SCRIPT",
        _ => "",
    };

    internal string this[int index] => index switch
    {
        0 => FileName,
        1 => FilePath,
        2 => Extension,
        3 => FileType,
        _ => Owner,
    };
}
