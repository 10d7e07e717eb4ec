using Microsoft.Win32.SafeHandles;
using Osprey.Agent.Interop;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Quarantine;

// Extended attributes: read from the opened original into the entry, bounded; put back on the restored file after its
// owner and mode (chown clears security.capability, and chmod would rewrite an ACL's mask).
internal sealed partial class QuarantineStore
{
    /// <summary>Written in the dropped list when the original's attributes could not even be listed.</summary>
    public const string UnlistedAttributes = "*";

    /// <summary>
    /// The original's extended attributes, as many as fit in <see cref="QuarantineFormat.MaxAttributeBytes"/>: ACLs
    /// first, then security.*, trusted.*, other system.* and user.* (the order in which losing one costs more), each
    /// namespace in the kernel's order. What is left out or cannot be read is added to <paramref name="dropped"/>.
    /// </summary>
    internal static QuarantineExtendedAttributes ReadAttributes(SafeFileHandle file, List<string> dropped)
    {
        var kept = new QuarantineExtendedAttributes();
        var names = ExtendedAttributes.Names(file, out var errno);
        if (names is null)
        {
            // EOPNOTSUPP: the filesystem keeps none.
            if (errno != Errno.EOPNOTSUPP)
            {
                dropped.Add(UnlistedAttributes);
            }
            return kept;
        }
        var size = 0;
        foreach (var name in names.OrderBy(Rank))
        {
            var value = ExtendedAttributes.Value(file, name, out errno);
            if (value is null)
            {
                // ENODATA: removed since it was listed, so it is not the original's any more.
                if (errno != Errno.ENODATA)
                {
                    dropped.Add(name);
                }
                continue;
            }
            var attribute = new ExtendedAttribute { Name = name, Value = Google.Protobuf.ByteString.CopyFrom(value) };
            var attributeSize = 1 + Google.Protobuf.CodedOutputStream.ComputeMessageSize(attribute);
            if (size + attributeSize > QuarantineFormat.MaxAttributeBytes)
            {
                dropped.Add(name);
                continue;
            }
            size += attributeSize;
            kept.Attributes.Add(attribute);
        }
        return kept;
    }

    /// <summary>
    /// Sets the kept attributes on the restored file; one warning naming the target for each attribute it refused and
    /// for each the entry did not keep.
    /// </summary>
    private static List<ObjectError> RestoreAttributes(SafeFileHandle file, QuarantineEntryFile entry, string target)
    {
        var warnings = new List<ObjectError>();
        foreach (var attribute in entry.Attributes.Attributes)
        {
            var errno = ExtendedAttributes.Set(file, attribute.Name, attribute.Value.Span);
            if (errno != 0)
            {
                warnings.Add(new ObjectError
                {
                    ObjectName = target,
                    Code = errno,
                    Message = $"the extended attribute {attribute.Name} could not be restored: {Errno.Describe(errno)}",
                });
            }
        }
        foreach (var name in entry.Entry.ExtendedAttributesDropped)
        {
            warnings.Add(new ObjectError
            {
                ObjectName = target,
                Code = Errno.ENODATA,
                Message = name == UnlistedAttributes
                    ? "the extended attributes could not be listed when the file was quarantined; none are restored"
                    : $"the extended attribute {name} was not kept when the file was quarantined (over the {QuarantineFormat.MaxAttributeBytes / 1024} KiB bound, or unreadable); it is not restored",
            });
        }
        return warnings;
    }

    private static int Rank(string name) =>
        name.StartsWith("system.posix_acl_", StringComparison.Ordinal) ? 0
        : name.StartsWith("security.", StringComparison.Ordinal) ? 1
        : name.StartsWith("trusted.", StringComparison.Ordinal) ? 2
        : name.StartsWith("system.", StringComparison.Ordinal) ? 3
        : 4;
}
