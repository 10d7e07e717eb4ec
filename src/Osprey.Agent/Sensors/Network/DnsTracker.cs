using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Sensors.Network;

/// <summary>
/// Turns captured DNS packets into DnsQuery events: a query waits (bounded) for the response with the same client
/// address, port and ID, and is reported with it, or without one after the timeout. A response whose query was not
/// seen is reported alone. The process is looked up when the packet is seen, while the client's socket still exists.
/// </summary>
internal sealed class DnsTracker(DnsSensorOptions options, SensorContext context, Func<DnsFlow, (ProcessInfo? Owner, uint? Uid)> lookupOwner)
{
    private const int DnsPort = 53;
    private const int MaxAnsweredKeys = 4096;
    private readonly Dictionary<Key, LinkedListNode<Pending>> _pending = [];
    private readonly LinkedList<Pending> _byAge = new();
    private readonly Dictionary<Key, long> _answered = [];
    private readonly Queue<Key> _answeredOrder = new();

    public int PendingCount => _pending.Count;

    /// <summary>
    /// One captured network-layer packet. <paramref name="sentByThisHost"/> and <paramref name="deliveredToThisHost"/>
    /// tell whether the client end may be a local socket worth looking up.
    /// </summary>
    public void OnPacket(ReadOnlySpan<byte> packet, bool sentByThisHost, bool deliveredToThisHost)
    {
        if (!TransportSegment.TryParse(packet, out var segment))
        {
            return;
        }
        if (segment.Protocol == TransportSegment.Udp)
        {
            OnMessage(segment, segment.Payload, sentByThisHost, deliveredToThisHost);
            return;
        }
        // DNS over TCP: each message behind a 2-byte length. Only messages whole within this segment are read.
        var data = segment.Payload;
        while (data.Length >= 2)
        {
            var length = data[0] << 8 | data[1];
            if (length > data.Length - 2)
            {
                break;
            }
            OnMessage(segment, data.Slice(2, length), sentByThisHost, deliveredToThisHost);
            data = data[(2 + length)..];
        }
    }

    /// <summary>Reports the queries whose response is overdue.</summary>
    public void Sweep()
    {
        var deadline = context.NowUs() - options.ResponseTimeoutMs * 1000L;
        while (_byAge.First is { } oldest && oldest.Value.TimeUs <= deadline)
        {
            Remove(oldest);
            Report(oldest.Value, response: null);
        }
    }

    /// <summary>Reports every waiting query as unanswered (the sensor is stopping).</summary>
    public void Flush()
    {
        while (_byAge.First is { } oldest)
        {
            Remove(oldest);
            Report(oldest.Value, response: null);
        }
    }

    private void OnMessage(in TransportSegment segment, ReadOnlySpan<byte> payload, bool sentByThisHost, bool deliveredToThisHost)
    {
        var message = DnsParser.TryParse(payload);
        if (message is null)
        {
            return;
        }
        if (!message.IsResponse && segment.DestinationPort == DnsPort)
        {
            OnQuery(message, new DnsFlow(segment.Protocol, segment.Source, segment.SourcePort, segment.Destination, segment.DestinationPort), sentByThisHost);
        }
        else if (message.IsResponse && segment.SourcePort == DnsPort)
        {
            OnResponse(message, new DnsFlow(segment.Protocol, segment.Destination, segment.DestinationPort, segment.Source, segment.SourcePort), deliveredToThisHost);
        }
    }

    private void OnQuery(DnsMessage query, DnsFlow flow, bool localClient)
    {
        var key = new Key(flow.Protocol, flow.Client, flow.ClientPort, query.Id);
        if (_pending.ContainsKey(key))
        {
            // A retransmission (or the same packet seen on a second interface).
            return;
        }
        if (_pending.Count >= options.MaxPendingQueries && _byAge.First is { } oldest)
        {
            Remove(oldest);
            context.Health.ReportLoss(1, "too many DNS queries waiting for a response (dns.maxPendingQueries)");
        }
        var (owner, uid) = localClient ? lookupOwner(flow) : (null, null);
        _pending[key] = _byAge.AddLast(new Pending(key, query, flow, owner, uid, context.NowUs()));
    }

    private void OnResponse(DnsMessage response, DnsFlow flow, bool localClient)
    {
        var key = new Key(flow.Protocol, flow.Client, flow.ClientPort, response.Id);
        var now = context.NowUs();
        if (_pending.TryGetValue(key, out var node))
        {
            Remove(node);
            Remember(key, now);
            Report(node.Value, response);
            return;
        }
        if (_answered.TryGetValue(key, out var answeredUs) && now - answeredUs < options.ResponseTimeoutMs * 1000L)
        {
            // The same response again: a retransmitted query answered twice, or a second interface.
            return;
        }
        Remember(key, now);
        var (owner, uid) = localClient ? lookupOwner(flow) : (null, null);
        Report(new Pending(key, response, flow, owner, uid, now), response);
    }

    private void Remove(LinkedListNode<Pending> node)
    {
        _byAge.Remove(node);
        _pending.Remove(node.Value.Key);
    }

    private void Remember(Key key, long nowUs)
    {
        if (_answeredOrder.Count >= MaxAnsweredKeys)
        {
            _answered.Remove(_answeredOrder.Dequeue());
        }
        if (_answered.TryAdd(key, nowUs))
        {
            _answeredOrder.Enqueue(key);
        }
        else
        {
            _answered[key] = nowUs;
        }
    }

    private void Report(Pending query, DnsMessage? response)
    {
        var e = NetworkEvents.Create(context, EventType.DnsQuery, query.Owner, query.Uid);
        e.TimeUs = query.TimeUs;
        e.DnsQuery = new DnsQueryEvent
        {
            Name = query.Message.Name,
            QueryType = DnsNames.QueryType(query.Message.QueryType),
            DnsServer = query.Flow.Server.ToString(),
            ResponseCode = response is null ? "" : DnsNames.ResponseCode(response.ResponseCode),
        };
        if (response is not null)
        {
            foreach (var address in response.Addresses)
            {
                e.DnsQuery.ResolvedIps.Add(address.ToString());
            }
        }
        context.Emit(e);
    }

    private readonly record struct Key(byte Protocol, NetAddress Client, ushort Port, ushort Id);

    private sealed record Pending(Key Key, DnsMessage Message, DnsFlow Flow, ProcessInfo? Owner, uint? Uid, long TimeUs);
}
