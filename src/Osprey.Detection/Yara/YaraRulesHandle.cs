using System.Runtime.InteropServices;

namespace Osprey.Detection.Yara;

/// <summary>A compiled YR_RULES, destroyed exactly once after the last scanner using it is gone.</summary>
internal sealed class YaraRulesHandle : SafeHandle
{
    public YaraRulesHandle(nint rules)
        : base(0, ownsHandle: true)
    {
        SetHandle(rules);
        YaraLibrary.AddLive();
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibYara.RulesDestroy(handle);
        YaraLibrary.RemoveLive();
        return true;
    }
}
