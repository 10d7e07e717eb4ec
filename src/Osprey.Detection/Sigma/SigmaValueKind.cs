namespace Osprey.Detection.Sigma;

/// <summary>What a rule value has become after its modifiers.</summary>
internal enum SigmaValueKind
{
    /// <summary>A string with wildcards: equality, startswith, endswith, contains or a general wildcard match.</summary>
    Pattern,

    /// <summary>Bytes from utf16le / utf16be / utf16 / wide, waiting for base64 or base64offset.</summary>
    Bytes,

    /// <summary>A regular expression (<c>re</c>).</summary>
    Regex,

    /// <summary>A network in CIDR notation (<c>cidr</c>).</summary>
    Cidr,

    /// <summary>A number compared with <c>gt</c>, <c>gte</c>, <c>lt</c> or <c>lte</c>.</summary>
    Number,

    /// <summary>The name of another field (<c>fieldref</c>).</summary>
    FieldRef,

    /// <summary><c>null</c>: the field is absent or empty.</summary>
    Null,
}
