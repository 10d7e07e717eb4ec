namespace Osprey.Detection.Sigma;

/// <summary>
/// A field of a record kind (<c>Image</c> of process_creation, <c>a1</c> of auditd EXECVE): a reader over the
/// Osprey event, or a constant (<c>type</c> of an auditd record); optionally the finite set of values it can take,
/// which lets the compiler decide a test on it in advance. Each field has its own slot in the per-event cache.
/// </summary>
internal sealed class SigmaField
{
    private static int s_slots;

    private SigmaField(string name, string description, SigmaFieldReader? reader, string? constant, IReadOnlyList<string>? domain)
    {
        Name = name;
        Description = description;
        Reader = reader;
        Constant = constant;
        Domain = domain;
        Slot = Interlocked.Increment(ref s_slots) - 1;
    }

    /// <summary>Slots handed out so far; the evaluation context sizes its cache by it.</summary>
    public static int SlotCount => Volatile.Read(ref s_slots);

    public string Name { get; }

    /// <summary>Where the value comes from in Osprey's event, for documentation and error messages.</summary>
    public string Description { get; }

    public SigmaFieldReader? Reader { get; }

    /// <summary>The value every record of the kind has; null for read fields.</summary>
    public string? Constant { get; }

    /// <summary>Every value the field can have (it may also be absent unless constant); null when unbounded.</summary>
    public IReadOnlyList<string>? Domain { get; }

    public int Slot { get; }

    public static SigmaField Read(string name, string description, SigmaFieldReader reader, IReadOnlyList<string>? domain = null) =>
        new(name, description, reader, null, domain);

    public static SigmaField Fixed(string name, string value, string description) => new(name, description, null, value, [value]);

    public override string ToString() => Name;
}
