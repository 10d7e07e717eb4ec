using System.Buffers.Binary;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;

namespace Osprey.Agent.Tests.Sensors.Processes;

/// <summary>The reader's handling of connector messages, fed with datagrams laid out as the kernel sends them.</summary>
public sealed class ConnectorReaderTests : IDisposable
{
    private const uint Nonce = 0x5eed;
    private readonly ProcConnectorSocket _socket;
    private readonly EventHandoff _queue = new(64);
    private readonly ProcessSensorCounters _counters = new();
    private readonly ConnectorReader _reader;

    public ConnectorReaderTests()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the proc connector tests need root (netlink connector sockets require it); run them as root");
        // A real socket that is never subscribed: the tests hand the reader datagrams themselves.
        _socket = ProcConnectorSocket.Open(out var errno) ?? throw new InvalidOperationException($"netlink connector socket: errno {errno}");
        _reader = new ConnectorReader(_socket, _queue, new ProcessSensorOptions(), _counters, Nonce);
    }

    public void Dispose()
    {
        _queue.Dispose();
        _socket.Dispose();
    }

    [Fact]
    public void SequenceGap_OnOneCpu_IsReportedAsExactLoss()
    {
        Feed(Message(ProcConnector.EventExit, cpu: 1, sequence: 10, Exit(pid: 999_990, tgid: 999_991)));
        Feed(Message(ProcConnector.EventExit, cpu: 1, sequence: 14, Exit(pid: 999_990, tgid: 999_991)));
        // Another CPU numbers its own messages: no gap there.
        Feed(Message(ProcConnector.EventExit, cpu: 0, sequence: 500, Exit(pid: 999_990, tgid: 999_991)));

        var loss = Assert.Single(Drain(), e => e.Kind == ConnectorEventKind.Loss);
        Assert.Equal(3, loss.LostCount);
        Assert.Equal(3, _counters.KernelLostEvents);
    }

    [Fact]
    public async Task Acknowledgement_WithOurNoncePlusOne_CompletesTheSubscription()
    {
        var other = Message(ProcConnector.EventNone, cpu: 0, sequence: 1, new byte[24], ack: 77);
        Feed(other);
        Assert.False(_reader.Acknowledged.IsCompleted);
        var error = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(error, 22);
        Feed(Message(ProcConnector.EventNone, cpu: 0, sequence: 2, error, ack: Nonce + 1));
        Assert.True(_reader.Acknowledged.IsCompletedSuccessfully);
        Assert.Equal(22, await _reader.Acknowledged);
        Assert.Empty(Drain());
    }

    [Fact]
    public void ThreadExit_IsIgnored_AndLeaderExitCarriesStatusAndParent()
    {
        Feed(Message(ProcConnector.EventExit, cpu: 0, sequence: 1, Exit(pid: 999_992, tgid: 999_991)));
        Feed(Message(ProcConnector.EventExit, cpu: 0, sequence: 2, Exit(pid: 999_991, tgid: 999_991, status: 3 << 8, parentTgid: 4242)));

        var exit = Assert.Single(Drain());
        Assert.Equal(ConnectorEventKind.Exit, exit.Kind);
        Assert.Equal(999_991, exit.Pid);
        Assert.Equal(4242, exit.ParentPid);
        Assert.Equal(3u << 8, exit.ExitStatus);
        Assert.Equal(-1, exit.StartTicks); // no such process in /proc
    }

    [Fact]
    public void Exec_OfALiveProcess_CapturesCommandLineAndExecutable()
    {
        var self = Environment.ProcessId;
        var data = new byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(data, self);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), self);
        Feed(Message(ProcConnector.EventExec, cpu: 0, sequence: 1, data));

        var exec = Assert.Single(Drain());
        Assert.Equal(ConnectorEventKind.Exec, exec.Kind);
        Assert.Equal(File.ReadAllBytes("/proc/self/cmdline"), exec.Capture.AsSpan(0, exec.ArgumentsLength).ToArray());
        Assert.Equal(new FileInfo("/proc/self/exe").LinkTarget, System.Text.Encoding.UTF8.GetString(exec.Capture!, exec.ArgumentsLength, exec.ExeLength));
        var stat = File.ReadAllText("/proc/self/stat");
        Assert.Equal(long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture), exec.StartTicks);
    }

    [Fact]
    public void TruncatedOrForeignDatagrams_AreIgnored()
    {
        var valid = Message(ProcConnector.EventExit, cpu: 0, sequence: 1, Exit(pid: 999_991, tgid: 999_991));
        Feed(valid.AsSpan(0, 30).ToArray());
        var lying = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(lying, 4096);
        Feed(lying);
        var foreign = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(foreign.AsSpan(ProcConnector.CnIdxOffset), 7);
        Feed(foreign);
        Assert.Empty(Drain());
    }

    private void Feed(byte[] datagram) => _reader.ParseDatagram(datagram, TestContext.Current.CancellationToken);

    private List<ConnectorEvent> Drain()
    {
        var events = new List<ConnectorEvent>();
        while (_queue.TryTake(out var e, 0))
        {
            events.Add(e);
        }
        return events;
    }

    private static byte[] Exit(int pid, int tgid, uint status = 0, int parentTgid = 1)
    {
        var data = new byte[24];
        BinaryPrimitives.WriteInt32LittleEndian(data, pid);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), tgid);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(8), status);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(12), 17);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(16), parentTgid);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(20), parentTgid);
        return data;
    }

    /// <summary>nlmsghdr (16) + cn_msg (20) + proc_event (what, cpu, timestamp, union), as the kernel lays it out.</summary>
    private static byte[] Message(uint what, uint cpu, uint sequence, byte[] data, uint ack = 0)
    {
        var message = new byte[ProcConnector.DataOffset + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), ProcConnector.NlmsgDone);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.CnIdxOffset), ProcConnector.CnIdxProc);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.CnValOffset), ProcConnector.CnValProc);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.CnSeqOffset), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.CnAckOffset), ack);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(ProcConnector.CnLenOffset), (ushort)(16 + data.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.WhatOffset), what);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(ProcConnector.CpuOffset), cpu);
        BinaryPrimitives.WriteInt64LittleEndian(message.AsSpan(ProcConnector.TimestampOffset), 123_456_789);
        data.CopyTo(message.AsSpan(ProcConnector.DataOffset));
        return message;
    }
}
