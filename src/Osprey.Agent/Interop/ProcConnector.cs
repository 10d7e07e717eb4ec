using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// The netlink process-events connector (linux/connector.h, linux/cn_proc.h): socket calls and the wire layout of
/// its messages. Every message is an nlmsghdr, a cn_msg and one proc_event; offsets below are from the start of
/// the datagram.
/// </summary>
internal static partial class ProcConnector
{
    public const int AfNetlink = 16;
    public const int SockDgram = 2;
    public const int SockCloexec = 0x80000;
    public const int NetlinkConnector = 11;
    public const uint CnIdxProc = 1;
    public const uint CnValProc = 1;
    public const uint McastListen = 1;
    public const uint McastIgnore = 2;
    public const int SolSocket = 1;
    public const int SoRcvbuf = 8;
    public const int SoRcvtimeo = 20;
    public const int SoRcvbufforce = 33;
    public const ushort NlmsgDone = 3;

    public const int NlmsgHeaderSize = 16;
    public const int CnMsgSize = 20;

    // cn_msg, after the 16-byte nlmsghdr.
    public const int CnIdxOffset = 16;
    public const int CnValOffset = 20;
    public const int CnSeqOffset = 24;
    public const int CnAckOffset = 28;
    public const int CnLenOffset = 32;

    // proc_event: what, cpu, then timestamp_ns aligned to 8 within the event, then the union.
    public const int EventOffset = NlmsgHeaderSize + CnMsgSize;
    public const int WhatOffset = EventOffset;
    public const int CpuOffset = EventOffset + 4;
    public const int TimestampOffset = EventOffset + 8;
    public const int DataOffset = EventOffset + 16;

    /// <summary>Smallest datagram that holds the largest union member we read (exit: six 32-bit fields).</summary>
    public const int MinimumEventSize = DataOffset + 24;

    public const uint EventNone = 0;
    public const uint EventFork = 0x1;
    public const uint EventExec = 0x2;
    public const uint EventUid = 0x4;
    public const uint EventGid = 0x40;
    public const uint EventSid = 0x80;
    public const uint EventExit = 0x80000000;

    [StructLayout(LayoutKind.Sequential)]
    internal struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint Pid;
        public uint Groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct Timeval
    {
        public long Seconds;
        public long Microseconds;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(ProcConnectorSocket socket, in SockaddrNl address, uint length);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    internal static unsafe partial nint SendTo(ProcConnectorSocket socket, byte* buffer, nuint length, int flags, in SockaddrNl address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    internal static unsafe partial nint ReceiveFrom(ProcConnectorSocket socket, byte* buffer, nuint length, int flags, out SockaddrNl address, ref uint addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    internal static unsafe partial int SetSockOpt(ProcConnectorSocket socket, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(nint fd);
}
