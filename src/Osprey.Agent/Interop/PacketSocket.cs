using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Osprey.Agent.Interop;

/// <summary>
/// AF_PACKET capture (linux/if_packet.h, linux/filter.h): a cooked (SOCK_DGRAM) socket on every interface whose
/// classic BPF filter passes only TCP and UDP packets to or from port 53, its drop counter, and sockaddr_ll.
/// </summary>
internal static class PacketSocket
{
    public const int AfPacket = 17;
    public const byte PacketHost = 0;
    public const byte PacketBroadcast = 1;
    public const byte PacketMulticast = 2;
    public const byte PacketOtherHost = 3;
    public const byte PacketOutgoing = 4;
    public const ushort ArphrdLoopback = 772;
    public const int SockaddrLlLength = 20;

    /// <summary>Largest packet handed to user space (loopback segments can be 64 KiB; a DNS message over TCP at most that).</summary>
    public const int SnapLength = 128 * 1024;

    private const int SockDgram = 2;
    private const ushort EthPAll = 0x0003;
    private const int SolSocket = 1;
    private const int SoRcvbuf = 8;
    private const int SoAttachFilter = 26;
    private const int SoRcvbufForce = 33;
    private const int SolPacket = 263;
    private const int PacketStatistics = 6;

    /// <summary>
    /// Opens the capture socket. It is created for no protocol, so it receives nothing until <see cref="BindAllInterfaces"/>:
    /// the filter is in place before the first packet can queue. 0 and the socket, or the errno.
    /// </summary>
    public static int TryOpen(out RawSocket? socket) => RawSocket.TryOpen(AfPacket, SockDgram, 0, out socket);

    /// <summary>Starts receiving every protocol on every interface; 0 or the errno.</summary>
    public static int BindAllInterfaces(RawSocket socket)
    {
        Span<byte> address = stackalloc byte[SockaddrLlLength];
        address.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(address, AfPacket);
        BinaryPrimitives.WriteUInt16BigEndian(address[2..], EthPAll);
        return socket.Bind(address);
    }

    /// <summary>Attaches the port-53 filter; 0 or the errno.</summary>
    public static unsafe int AttachDnsFilter(RawSocket socket)
    {
        var program = DnsFilter();
        fixed (SockFilter* instructions = program)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            Span<byte> fprog = stackalloc byte[16];
            fprog.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(fprog, (ushort)program.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(fprog[8..], (ulong)instructions);
            return socket.SetOption(SolSocket, SoAttachFilter, fprog);
        }
    }

    /// <summary>Raises the receive buffer, past the system limit when allowed (root); 0 or the errno of the last attempt.</summary>
    public static int SetReceiveBuffer(RawSocket socket, int bytes) =>
        socket.SetOption(SolSocket, SoRcvbufForce, bytes) == 0 ? 0 : socket.SetOption(SolSocket, SoRcvbuf, bytes);

    /// <summary>Packets received and dropped (receive buffer full) since the last call: reading resets the kernel's counters.</summary>
    public static int ReadStatistics(RawSocket socket, out uint packets, out uint drops)
    {
        Span<byte> stats = stackalloc byte[8];
        var length = socket.GetOption(SolPacket, PacketStatistics, stats);
        packets = length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(stats) : 0;
        drops = length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(stats[4..]) : 0;
        return length < 0 ? -length : 0;
    }

    /// <summary>The link-layer facts of a received packet (struct sockaddr_ll); false when the address is short.</summary>
    public static bool TryReadLink(ReadOnlySpan<byte> address, out ushort protocol, out int interfaceIndex, out ushort hardwareType, out byte packetType)
    {
        if (address.Length < 12)
        {
            (protocol, interfaceIndex, hardwareType, packetType) = (0, 0, 0, 0);
            return false;
        }
        protocol = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        interfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(address[4..]);
        hardwareType = BinaryPrimitives.ReadUInt16LittleEndian(address[8..]);
        packetType = address[10];
        return true;
    }

    /// <summary>
    /// The filter, run on the network header (a SOCK_DGRAM socket): IPv4 (not a later fragment) or IPv6 without
    /// extension headers, carrying UDP or TCP with source or destination port 53. Everything else stays in the kernel.
    /// </summary>
    internal static SockFilter[] DnsFilter()
    {
        const int accept = 21, reject = 22;
        // Jump targets are written as instruction indexes and turned into the relative offsets BPF wants below.
        (ushort Code, int True, int False, uint K)[] program =
        [
            (LdB, 0, 0, 0),                 // 0: A = first byte
            (AndK, 0, 0, 0xf0),             // 1: A = version << 4
            (JeqK, 3, 13, 0x40),            // 2: IPv4?
            (LdB, 0, 0, 9),                 // 3: A = protocol
            (JeqK, 6, 5, 17),               // 4: UDP?
            (JeqK, 6, reject, 6),           // 5: TCP?
            (LdH, 0, 0, 6),                 // 6: A = flags and fragment offset
            (JsetK, reject, 8, 0x1fff),     // 7: a later fragment has no transport header
            (LdxMsh, 0, 0, 0),              // 8: X = IPv4 header length
            (LdHInd, 0, 0, 0),              // 9: A = source port
            (JeqK, accept, 11, 53),         // 10
            (LdHInd, 0, 0, 2),              // 11: A = destination port
            (JeqK, accept, reject, 53),     // 12
            (JeqK, 14, reject, 0x60),       // 13: IPv6?
            (LdB, 0, 0, 6),                 // 14: A = next header
            (JeqK, 17, 16, 17),             // 15: UDP?
            (JeqK, 17, reject, 6),          // 16: TCP?
            (LdH, 0, 0, 40),                // 17: A = source port
            (JeqK, accept, 19, 53),         // 18
            (LdH, 0, 0, 42),                // 19: A = destination port
            (JeqK, accept, reject, 53),     // 20
            (RetK, 0, 0, SnapLength),       // 21: accept
            (RetK, 0, 0, 0),                // 22: reject
        ];
        var filter = new SockFilter[program.Length];
        for (var i = 0; i < program.Length; i++)
        {
            var (code, onTrue, onFalse, k) = program[i];
            var isJump = (code & 0x07) == 0x05;
            filter[i] = new SockFilter
            {
                Code = code,
                JumpTrue = isJump ? checked((byte)(onTrue - i - 1)) : (byte)0,
                JumpFalse = isJump ? checked((byte)(onFalse - i - 1)) : (byte)0,
                K = k,
            };
        }
        return filter;
    }

    private const ushort LdB = 0x30;     // BPF_LD | BPF_B | BPF_ABS
    private const ushort LdH = 0x28;     // BPF_LD | BPF_H | BPF_ABS
    private const ushort LdHInd = 0x48;  // BPF_LD | BPF_H | BPF_IND
    private const ushort LdxMsh = 0xb1;  // BPF_LDX | BPF_B | BPF_MSH: X = 4 * (P[k] & 0xf)
    private const ushort AndK = 0x54;    // BPF_ALU | BPF_AND | BPF_K
    private const ushort JeqK = 0x15;    // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JsetK = 0x45;   // BPF_JMP | BPF_JSET | BPF_K
    private const ushort RetK = 0x06;    // BPF_RET | BPF_K

    /// <summary>struct sock_filter.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct SockFilter
    {
        public ushort Code;
        public byte JumpTrue;
        public byte JumpFalse;
        public uint K;
    }
}
