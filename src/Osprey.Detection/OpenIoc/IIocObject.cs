namespace Osprey.Detection.OpenIoc;

/// <summary>
/// Something an indicator is evaluated against: an object of one OpenIOC item type (its <see cref="Document"/>, such as
/// "FileItem") whose terms give values by their search path ("FileItem/Md5sum").
/// </summary>
public interface IIocObject
{
    /// <summary>The item type, as IndicatorItem Context documents name it ("FileItem", "ProcessItem", …).</summary>
    string Document { get; }

    /// <summary>
    /// The values of a term (most terms have one; list terms such as a process's ports have several), as text: numbers
    /// in decimal, dates in ISO 8601, hashes in hexadecimal. Null when the object has no such term or its value is
    /// unknown (a file too large to hash); such an object satisfies no item on that term, negated or not.
    /// </summary>
    IReadOnlyList<string>? Values(string search);
}
