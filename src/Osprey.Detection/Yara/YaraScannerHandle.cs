using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>A YR_SCANNER (one per thread: a scanner is not thread-safe), destroyed exactly once.</summary>
internal sealed class YaraScannerHandle : SafeHandle
{
    public YaraScannerHandle(nint scanner)
        : base(0, ownsHandle: true) => SetHandle(scanner);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibYara.ScannerDestroy(handle);
        return true;
    }
}
