namespace Osprey.Agent.Interop;

/// <summary>Who owns a path and who may change it: device and inode (its identity), link count, owner and mode bits.</summary>
internal readonly record struct PathOwner(ulong Device, ulong Inode, uint LinkCount, uint Uid, uint Mode)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;
}
