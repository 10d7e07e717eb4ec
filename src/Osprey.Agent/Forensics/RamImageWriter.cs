using System.Buffers;
using System.Buffers.Binary;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Forensics;

/// <summary>What a RAM image holds: the physical ranges (and those that could not be read), its size, whether the bound cut it.</summary>
internal sealed record RamImageOutcome(IReadOnlyList<MemoryRange> Ranges, long Bytes, bool Truncated);

/// <summary>
/// Writes System RAM as a LiME file (for each range a 32-byte header: magic "EMiL", version 1, first and last physical
/// address; then its bytes; what Volatility and other tools read) or as a raw file whose offsets are physical addresses
/// (the holes between ranges left sparse). Bounded by a byte count; pages the source cannot read are zeros, and listed.
/// </summary>
internal static class RamImageWriter
{
    public const uint LimeMagic = 0x4C694D45;
    public const int LimeHeaderBytes = 32;
    private const int ChunkBytes = 1 << 20;
    private const long PageBytes = 4096;

    public static RamImageOutcome Write(PhysicalMemory memory, bool lime, string output, long maxBytes, CancellationToken cancellationToken)
    {
        var ranges = new List<MemoryRange>();
        var truncated = false;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            using var file = new FileStream(output, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            foreach (var ram in memory.Ram)
            {
                var room = lime ? maxBytes - file.Position - LimeHeaderBytes : maxBytes - (long)ram.Start;
                var length = Math.Min((long)(ram.End - ram.Start), room) / PageBytes * PageBytes;
                if (length < (long)(ram.End - ram.Start))
                {
                    truncated = true;
                }
                if (length <= 0)
                {
                    break;
                }
                if (lime)
                {
                    var header = new byte[LimeHeaderBytes];
                    BinaryPrimitives.WriteUInt32LittleEndian(header, LimeMagic);
                    BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 1);
                    BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), ram.Start);
                    BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), ram.Start + (ulong)length - 1);
                    file.Write(header);
                }
                else
                {
                    file.Position = (long)ram.Start;
                }
                ranges.Add(new MemoryRange { Start = ram.Start, End = ram.Start + (ulong)length, Path = ram.Path });
                for (long done = 0; done < length;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var chunk = (int)Math.Min(ChunkBytes, length - done);
                    var at = ram.Start + (ulong)done;
                    if (!memory.TryRead(at, buffer.AsSpan(0, chunk)))
                    {
                        buffer.AsSpan(0, chunk).Clear();
                        ranges.Add(new MemoryRange { Start = at, End = at + (ulong)chunk, Path = ram.Path, Reason = $"{memory.Source} could not read it; zeros in the image" });
                    }
                    file.Write(buffer, 0, chunk);
                    done += chunk;
                }
                if (truncated)
                {
                    break;
                }
            }
            file.Flush(flushToDisk: false);
            return new RamImageOutcome(ranges, file.Length, truncated);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
