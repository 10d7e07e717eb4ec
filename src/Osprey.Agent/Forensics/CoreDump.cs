using System.Buffers;
using System.Globalization;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Agent.Tasks;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Forensics;

/// <summary>What a core dump holds.</summary>
internal sealed record CoreDumpOutcome(int Segments, int Threads, bool Registers, long MemoryBytes, IReadOnlyList<MemoryRange> Skipped, bool Truncated);

/// <summary>
/// Writes a process's memory as an x86-64 ELF core file a debugger opens (<c>gdb -c</c>): its threads are stopped
/// with ptrace (seize and interrupt, never a signal the process sees) so the image is consistent and their registers
/// can be read, then every readable mapping is copied from /proc/PID/mem into a PT_LOAD segment, and the threads are let
/// go. Device memory, ranges that cannot be read and what lies past the size bound are left out and listed.
/// </summary>
internal static class CoreDump
{
    private const int ChunkBytes = 1 << 20;
    private const int SpareSegments = 1024;
    private const long SpaceMargin = 64L << 20;
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Writes the core of <paramref name="pid"/> (which must still have <paramref name="startTicks"/>) to a new file.
    /// Runs on a thread of its own: tracees belong to the thread that seized them, and its exit detaches any left.
    /// </summary>
    public static Task<CoreDumpOutcome> WriteAsync(int pid, long startTicks, string output, long maxBytes, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CoreDumpOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(Write(pid, startTicks, output, maxBytes, cancellationToken));
            }
            catch (OperationCanceledException e)
            {
                done.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "memory-dump " + pid.ToString(CultureInfo.InvariantCulture),
        };
        thread.Start();
        return done.Task;
    }

    private static CoreDumpOutcome Write(int pid, long startTicks, string output, long maxBytes, CancellationToken cancellationToken)
    {
        var seized = new List<int>();
        var stopped = new HashSet<int>();
        try
        {
            Freeze(pid, seized, stopped);
            // Seized now, the PID cannot be given to another process: check it still is the one named.
            if (ProcFs.ReadStat(pid) is not { } stat || stat.StartTicks != startTicks)
            {
                throw new TaskFailedException(3, $"process {pid} exited before it could be dumped");
            }
            var mappings = ProcessMapping.ParseSmaps(File.ReadAllText($"/proc/{pid}/smaps"));
            if (mappings.Count == 0)
            {
                throw new TaskFailedException(22, $"process {pid} ({stat.Comm}) has no user memory to dump (a kernel thread or a zombie)");
            }
            var facts = Facts(pid, stat, stopped, mappings);
            return WriteFile(pid, output, facts, mappings, maxBytes, stopped.Count > 0 && stopped.Count == facts.Threads.Count, cancellationToken);
        }
        finally
        {
            foreach (var tid in stopped)
            {
                Ptrace.Detach(tid);
            }
        }
    }

    // Seizes every thread (again while new ones appear) and interrupts it; waits a bounded time for the stops. A
    // process already traced (a debugger) cannot be seized: it is then read running, without registers.
    private static void Freeze(int pid, List<int> seized, HashSet<int> stopped)
    {
        for (var round = 0; round < 10; round++)
        {
            var fresh = Tids(pid).Where(t => !seized.Contains(t)).ToList();
            if (fresh.Count == 0)
            {
                break;
            }
            foreach (var tid in fresh)
            {
                if (Ptrace.Seize(tid) == 0)
                {
                    seized.Add(tid);
                    Ptrace.Interrupt(tid);
                }
            }
            if (seized.Count == 0)
            {
                return;
            }
        }
        var deadline = DateTime.UtcNow + StopDeadline;
        var waiting = seized.ToList();
        while (waiting.Count > 0 && DateTime.UtcNow < deadline)
        {
            for (var i = waiting.Count - 1; i >= 0; i--)
            {
                var state = Ptrace.TryWaitStopped(waiting[i], out _);
                if (state == true)
                {
                    stopped.Add(waiting[i]);
                }
                if (state != false)
                {
                    waiting.RemoveAt(i);
                }
            }
            if (waiting.Count > 0)
            {
                Thread.Sleep(1);
            }
        }
    }

    private static List<int> Tids(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) ? tid : 0)
                .Where(t => t > 0)
                .OrderBy(t => t == pid ? 0 : 1).ThenBy(t => t)
                .ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static ElfCore.ProcessFacts Facts(int pid, ProcStat stat, HashSet<int> stopped, List<ProcessMapping> mappings)
    {
        var threads = new List<ElfCore.ThreadFacts>();
        foreach (var tid in Tids(pid))
        {
            var (user, system, _) = Times(File.ReadAllText($"/proc/{pid}/task/{tid}/stat"));
            byte[]? registers = null, fp = null;
            if (stopped.Contains(tid))
            {
                registers = RegisterSet(tid, Ptrace.NtPrstatus, ElfCore.RegistersBytes);
                fp = RegisterSet(tid, Ptrace.NtPrfpreg, ElfCore.FpRegistersBytes);
            }
            threads.Add(new ElfCore.ThreadFacts(tid, user, system, registers, fp));
        }
        var nice = Times(File.ReadAllText($"/proc/{pid}/stat")).Nice;
        var ids = ProcFs.ReadIds(pid) ?? (0, 0, 0, 0);
        var auxv = File.ReadAllBytes($"/proc/{pid}/auxv");
        return new ElfCore.ProcessFacts(
            pid, stat.ParentPid, stat.ProcessGroup, stat.Session, stat.State, nice, ids.Uid, ids.Gid, stat.Comm,
            string.Join(' ', ProcFs.ReadArguments(pid)), threads, auxv, [.. mappings.Where(m => m.IsFile)]);
    }

    private static byte[]? RegisterSet(int tid, int type, int size)
    {
        var buffer = new byte[size];
        return Ptrace.GetRegisterSet(tid, type, buffer, out _) == size ? buffer : null;
    }

    // utime, stime and nice from a stat line (fields 14, 15 and 19, counted after the command name).
    private static (long User, long System, int Nice) Times(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture), long.Parse(fields[12], CultureInfo.InvariantCulture), int.Parse(fields[16], CultureInfo.InvariantCulture));
    }

    private static CoreDumpOutcome WriteFile(
        int pid, string output, ElfCore.ProcessFacts facts, List<ProcessMapping> mappings, long maxBytes, bool registers, CancellationToken cancellationToken)
    {
        maxBytes -= maxBytes % (long)ElfCore.PageBytes;
        var maxSegments = Math.Min(mappings.Count + SpareSegments, ushort.MaxValue - 2);
        var notes = ElfCore.Notes(facts, Libc.ClockTicksPerSecond);
        var notesOffset = ElfCore.HeaderBytes + (1L + maxSegments) * ElfCore.ProgramHeaderBytes;
        var dataOffset = Align(notesOffset + notes.Length);
        var estimate = Math.Min(maxBytes, mappings.Where(m => m.Readable && !m.IsDeviceMemory).Sum(m => (long)(m.End - m.Start)));
        var directory = Path.GetDirectoryName(output)!;
        var available = new DriveInfo(directory).AvailableFreeSpace;
        if (dataOffset + estimate + SpaceMargin > available)
        {
            throw new TaskFailedException(28, $"the dump needs up to {dataOffset + estimate} bytes and {directory} has {available} free (keeping {SpaceMargin} spare); lower max_bytes");
        }

        var segments = new List<(uint Flags, long Offset, ulong Address, long FileBytes, ulong MemoryBytes)>();
        var skipped = new List<MemoryRange>();
        long memoryBytes = 0;
        var truncated = false;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            using var file = new FileStream(output, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 0,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            using var memory = File.OpenHandle($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read);
            file.Position = notesOffset;
            file.Write(notes);
            file.Position = dataOffset;
            foreach (var mapping in mappings)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var size = mapping.End - mapping.Start;
                string? reason = null;
                if (mapping.IsDeviceMemory)
                {
                    reason = "device memory (VM_IO / VM_PFNMAP), not read";
                }
                else if (mapping.Start > long.MaxValue)
                {
                    reason = "above the addresses /proc/PID/mem reads";
                }
                else if (segments.Count >= maxSegments)
                {
                    (reason, truncated) = ("more unreadable ranges than the core's program headers hold", true);
                }
                else if (memoryBytes >= maxBytes)
                {
                    (reason, truncated) = ("past the dump's size bound (max_bytes)", true);
                }
                if (!mapping.Readable || reason is not null)
                {
                    // Like the kernel's own cores: the mapping is described, its contents are not there.
                    segments.Add((mapping.ElfFlags, file.Position, mapping.Start, 0, size));
                    if (reason is not null)
                    {
                        skipped.Add(new MemoryRange { Start = mapping.Start, End = mapping.End, Path = mapping.Path, Reason = reason });
                    }
                    continue;
                }
                var runStart = mapping.Start;
                var runOffset = file.Position;
                var address = mapping.Start;
                while (address < mapping.End)
                {
                    if (memoryBytes >= maxBytes || segments.Count >= maxSegments - 1)
                    {
                        skipped.Add(new MemoryRange { Start = address, End = mapping.End, Path = mapping.Path, Reason = "past the dump's size bound (max_bytes)" });
                        truncated = true;
                        break;
                    }
                    var want = (int)Math.Min((ulong)Math.Min(ChunkBytes, maxBytes - memoryBytes), mapping.End - address);
                    var read = ReadAt(memory, buffer.AsSpan(0, want), address);
                    if (read > 0)
                    {
                        file.Write(buffer, 0, read);
                        memoryBytes += read;
                        address += (ulong)read;
                        continue;
                    }
                    // This page cannot be read (not backed, beyond the end of its file, hardware-poisoned): end the run.
                    if (address > runStart)
                    {
                        segments.Add((mapping.ElfFlags, runOffset, runStart, file.Position - runOffset, address - runStart));
                    }
                    AddSkipped(skipped, address, address + ElfCore.PageBytes, mapping.Path, "could not be read (EIO)");
                    address += ElfCore.PageBytes;
                    (runStart, runOffset) = (address, file.Position);
                }
                if (address > runStart)
                {
                    segments.Add((mapping.ElfFlags, runOffset, runStart, file.Position - runOffset, Math.Min(address, mapping.End) - runStart));
                }
            }
            file.Flush(flushToDisk: false);
            var headers = new byte[notesOffset];
            ElfCore.WriteFileHeader(headers, (ushort)(1 + segments.Count));
            var at = ElfCore.HeaderBytes;
            ElfCore.WriteProgramHeader(headers.AsSpan(at), ElfCore.PtNote, 0, (ulong)notesOffset, 0, (ulong)notes.Length, 0, 4);
            foreach (var segment in segments)
            {
                at += ElfCore.ProgramHeaderBytes;
                ElfCore.WriteProgramHeader(
                    headers.AsSpan(at), ElfCore.PtLoad, segment.Flags, (ulong)segment.Offset, segment.Address, (ulong)segment.FileBytes, segment.MemoryBytes, ElfCore.PageBytes);
            }
            file.Position = 0;
            file.Write(headers);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new CoreDumpOutcome(segments.Count, facts.Threads.Count, registers, memoryBytes, skipped, truncated);
    }

    // /proc/PID/mem copies page by page and stops at the first page it cannot reach: a short count, or EIO when that
    // is the first page.
    private static int ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle memory, Span<byte> target, ulong address)
    {
        try
        {
            return RandomAccess.Read(memory, target, (long)address);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static void AddSkipped(List<MemoryRange> skipped, ulong start, ulong end, string path, string reason)
    {
        if (skipped.Count > 0 && skipped[^1] is { } last && last.End == start && last.Reason == reason && last.Path == path)
        {
            last.End = end;
            return;
        }
        skipped.Add(new MemoryRange { Start = start, End = end, Path = path, Reason = reason });
    }

    private static long Align(long offset) => (offset + (long)ElfCore.PageBytes - 1) & ~((long)ElfCore.PageBytes - 1);
}
