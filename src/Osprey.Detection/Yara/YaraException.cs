namespace Osprey.Detection.Yara;

/// <summary>libyara failed (cannot be loaded, out of memory, a scan error); <see cref="Code"/> is the YARA error code.</summary>
public sealed class YaraException : Exception
{
    public YaraException(int code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public int Code { get; }
}
