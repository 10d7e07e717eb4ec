using System.Buffers.Binary;
using System.Text;

namespace Osprey.Agent.Forensics;

/// <summary>
/// The pieces of an x86-64 ELF core file (the layout the kernel and gdb's gcore write): the file header, program
/// headers, and the CORE notes a debugger reads (NT_PRSTATUS per thread with its registers, NT_FPREGSET, NT_PRPSINFO,
/// NT_AUXV, NT_FILE).
/// </summary>
internal static class ElfCore
{
    public const int HeaderBytes = 64;
    public const int ProgramHeaderBytes = 56;
    public const uint PtLoad = 1;
    public const uint PtNote = 4;
    public const int PrstatusBytes = 336;
    public const int RegistersOffset = 112; // pr_reg in struct elf_prstatus
    public const int RegistersBytes = 27 * 8; // struct user_regs_struct
    public const int FpRegistersBytes = 512; // struct user_fpregs_struct
    public const int PrpsinfoBytes = 136;
    private const int NtPrstatus = 1;
    private const int NtFpregset = 2;
    private const int NtPrpsinfo = 3;
    private const int NtAuxv = 6;
    private const int NtFile = 0x46494c45;
    private const ushort EtCore = 4;
    private const ushort EmX8664 = 62;
    public const ulong PageBytes = 4096;

    /// <summary>Elf64_Ehdr of a core file with <paramref name="programHeaders"/> program headers right after it.</summary>
    public static void WriteFileHeader(Span<byte> target, ushort programHeaders)
    {
        target[..HeaderBytes].Clear();
        "\u007fELF"u8.CopyTo(target);
        target[4] = 2; // ELFCLASS64
        target[5] = 1; // ELFDATA2LSB
        target[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(target[16..], EtCore);
        BinaryPrimitives.WriteUInt16LittleEndian(target[18..], EmX8664);
        BinaryPrimitives.WriteUInt32LittleEndian(target[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(target[32..], HeaderBytes); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(target[52..], HeaderBytes); // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(target[54..], ProgramHeaderBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(target[56..], programHeaders);
    }

    /// <summary>Elf64_Phdr.</summary>
    public static void WriteProgramHeader(Span<byte> target, uint type, uint flags, ulong offset, ulong address, ulong fileBytes, ulong memoryBytes, ulong align)
    {
        target[..ProgramHeaderBytes].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(target, type);
        BinaryPrimitives.WriteUInt32LittleEndian(target[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(target[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(target[16..], address); // p_vaddr
        BinaryPrimitives.WriteUInt64LittleEndian(target[32..], fileBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(target[40..], memoryBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(target[48..], align);
    }

    /// <summary>What the notes say about the process and each thread.</summary>
    internal sealed record ProcessFacts(
        int Pid, int ParentPid, int ProcessGroup, int Session, char State, int Nice, uint Uid, uint Gid, string Comm, string Arguments,
        IReadOnlyList<ThreadFacts> Threads, byte[] Auxv, IReadOnlyList<ProcessMapping> Files);

    /// <summary>One thread: its ID, CPU times (clock ticks), and the registers read from it when it was stopped (null when not).</summary>
    internal sealed record ThreadFacts(int Tid, long UserTicks, long SystemTicks, byte[]? Registers, byte[]? FpRegisters);

    /// <summary>The PT_NOTE segment's contents: per thread NT_PRSTATUS (and NT_FPREGSET), then NT_PRPSINFO, NT_AUXV, NT_FILE.</summary>
    public static byte[] Notes(ProcessFacts process, long ticksPerSecond)
    {
        using var notes = new MemoryStream();
        foreach (var thread in process.Threads)
        {
            var status = new byte[PrstatusBytes];
            var s = status.AsSpan();
            BinaryPrimitives.WriteInt32LittleEndian(s[32..], thread.Tid);
            BinaryPrimitives.WriteInt32LittleEndian(s[36..], process.ParentPid);
            BinaryPrimitives.WriteInt32LittleEndian(s[40..], process.ProcessGroup);
            BinaryPrimitives.WriteInt32LittleEndian(s[44..], process.Session);
            WriteTime(s[48..], thread.UserTicks, ticksPerSecond);
            WriteTime(s[64..], thread.SystemTicks, ticksPerSecond);
            thread.Registers?.AsSpan(0, Math.Min(RegistersBytes, thread.Registers.Length)).CopyTo(s[RegistersOffset..]);
            BinaryPrimitives.WriteInt32LittleEndian(s[(RegistersOffset + RegistersBytes)..], thread.FpRegisters is null ? 0 : 1); // pr_fpvalid
            Note(notes, NtPrstatus, status);
            if (thread.FpRegisters is { } fp)
            {
                Note(notes, NtFpregset, fp);
            }
        }
        Note(notes, NtPrpsinfo, Prpsinfo(process));
        Note(notes, NtAuxv, process.Auxv);
        Note(notes, NtFile, FileNote(process.Files));
        return notes.ToArray();
    }

    private static byte[] Prpsinfo(ProcessFacts process)
    {
        var info = new byte[PrpsinfoBytes];
        var s = info.AsSpan();
        const string states = "RSDTZW";
        var index = states.IndexOf(process.State, StringComparison.Ordinal);
        s[0] = (byte)(index < 0 ? 0 : index); // pr_state
        s[1] = (byte)process.State; // pr_sname
        s[2] = (byte)(process.State == 'Z' ? 1 : 0);
        s[3] = (byte)(sbyte)process.Nice;
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], process.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], process.Gid);
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], process.Pid);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], process.ParentPid);
        BinaryPrimitives.WriteInt32LittleEndian(s[32..], process.ProcessGroup);
        BinaryPrimitives.WriteInt32LittleEndian(s[36..], process.Session);
        CopyTruncated(process.Comm, s.Slice(40, 16));
        CopyTruncated(process.Arguments, s.Slice(56, 80));
        return info;
    }

    // NT_FILE: count, page size, then (start, end, offset in pages) per file mapping, then their NUL-terminated names.
    private static byte[] FileNote(IReadOnlyList<ProcessMapping> files)
    {
        using var note = new MemoryStream();
        var word = new byte[8];
        void Write(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, value);
            note.Write(word);
        }
        Write((ulong)files.Count);
        Write(PageBytes);
        foreach (var file in files)
        {
            Write(file.Start);
            Write(file.End);
            Write(file.Offset / PageBytes);
        }
        foreach (var file in files)
        {
            note.Write(Encoding.UTF8.GetBytes(file.Path));
            note.WriteByte(0);
        }
        return note.ToArray();
    }

    private static void Note(MemoryStream notes, int type, ReadOnlySpan<byte> description)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(header, 5); // "CORE\0"
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], description.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], type);
        notes.Write(header);
        notes.Write("CORE\0\0\0\0"u8); // name padded to 4 bytes
        notes.Write(description);
        notes.Write(new byte[Pad4(description.Length)]);
    }

    private static int Pad4(int length) => (4 - (length & 3)) & 3;

    private static void WriteTime(Span<byte> timeval, long ticks, long ticksPerSecond)
    {
        BinaryPrimitives.WriteInt64LittleEndian(timeval, ticks / ticksPerSecond);
        BinaryPrimitives.WriteInt64LittleEndian(timeval[8..], ticks % ticksPerSecond * 1_000_000 / ticksPerSecond);
    }

    private static void CopyTruncated(string text, Span<byte> target)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes.AsSpan(0, Math.Min(bytes.Length, target.Length - 1)).CopyTo(target);
    }
}
