using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Osprey.Contracts.Identity;
using Osprey.Contracts.V1;

namespace Osprey.Testing.Simulator;

/// <summary>
/// Generates synthetic but schema-complete telemetry: every field of every payload is filled (by walking the
/// descriptors, so fields added to the schema are covered too), and the fields hunting filters on carry
/// realistic, internally consistent values (process trees, hashes, connections, DNS names).
/// </summary>
public sealed class SyntheticEvents
{
    private static readonly EventType[] Types = [.. Enum.GetValues<EventType>().Where(t => t != EventType.Unspecified && t != EventType.DataDropped)];
    private static readonly string[] Programs = ["/usr/bin/bash", "/usr/bin/curl", "/usr/bin/python3", "/usr/sbin/sshd", "/usr/bin/systemctl", "/usr/bin/tar", "/usr/bin/ls", "/usr/bin/cron"];
    private static readonly string[] Domains = ["example.org", "updates.example.com", "cdn.example.net", "intranet.corp.example"];

    private readonly Random _random;
    private readonly string _agentId;
    private readonly string _hostName;
    private readonly string _bootId;
    private readonly List<(string UniquePid, int Pid, string Path)> _processes = [];
    private int _nextPid = 1000;

    public SyntheticEvents(string agentId, string hostName, int seed)
    {
        _random = new Random(seed);
        _agentId = agentId;
        _hostName = hostName;
        _bootId = Guid.NewGuid().ToString("D");
        _processes.Add((UniquePid.Compute(agentId, _bootId, 1, 0), 1, "/usr/lib/systemd/systemd"));
    }

    public static DeviceInfo Device(string hostName) => new()
    {
        HostName = hostName,
        IpAddresses = { "127.0.0.1" },
        MacAddresses = { "02:00:00:00:00:01" },
        OsName = "Debian GNU/Linux",
        OsVersion = "12",
        OsFamily = OsFamily.Linux,
        AgentVersion = "0.1.0-sim",
        LocalTimeUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        LicenceStatus = "valid",
        BootTimeUs = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() * 1000,
    };

    /// <summary>The next event, cycling through every event type with process starts most frequent.</summary>
    public Event Next(ulong sequence, long timeUs)
    {
        var type = _random.Next(4) == 0 ? EventType.ProcessStart : Types[_random.Next(Types.Length)];
        return Create(type, sequence, timeUs);
    }

    public Event Create(EventType type, ulong sequence, long timeUs)
    {
        var e = new Event
        {
            EventId = Guid.NewGuid().ToString("D"),
            Sequence = sequence,
            Type = type,
            TimeUs = timeUs,
            Device = new DeviceRef { HostName = _hostName, AgentId = _agentId, OsName = "Debian GNU/Linux", OsVersion = "12", OsFamily = OsFamily.Linux, Ip = "127.0.0.1" },
            User = new UserRef { Name = _random.Next(3) == 0 ? "root" : "alice", Id = _random.Next(3) == 0 ? "0" : "1000" },
        };
        var payloadField = Event.Descriptor.FindFieldByNumber((int)type);
        var payload = (IMessage)Activator.CreateInstance(payloadField.MessageType.ClrType)!;
        Fill(payload, 0);
        payloadField.Accessor.SetValue(e, payload);

        var actor = _processes[_random.Next(_processes.Count)];
        if (type == EventType.ProcessStart)
        {
            var pid = _nextPid++;
            var path = Programs[_random.Next(Programs.Length)];
            var uniquePid = UniquePid.Compute(_agentId, _bootId, pid, timeUs * 10);
            e.Process = Process(uniquePid, pid, path, timeUs);
            e.ParentUniquePid = actor.UniquePid;
            e.ProcessStart.Parent = Process(actor.UniquePid, actor.Pid, actor.Path, timeUs - 1_000_000);
            if (_processes.Count < 200)
            {
                _processes.Add((uniquePid, pid, path));
            }
            else
            {
                _processes[1 + _random.Next(_processes.Count - 1)] = (uniquePid, pid, path);
            }
        }
        else
        {
            e.Process = Process(actor.UniquePid, actor.Pid, actor.Path, timeUs - 5_000_000);
        }
        Specialise(e);
        return e;
    }

    private ProcessRef Process(string uniquePid, int pid, string path, long startUs)
    {
        var name = Path.GetFileName(path);
        return new ProcessRef
        {
            UniquePid = uniquePid,
            Pid = pid,
            Name = name,
            File = File(path),
            CommandLine = name switch
            {
                "curl" => $"curl -fsSL https://{Domains[_random.Next(Domains.Length)]}/install-{_random.Next(100)}.sh",
                "bash" => $"bash -c 'echo {_random.Next():x} | base64 -d'",
                "python3" => $"python3 /opt/app/worker.py --shard {_random.Next(16)}",
                "tar" => $"tar czf /tmp/backup-{_random.Next(1000)}.tgz /home/alice",
                _ => $"{path} --flag {_random.Next(1000)}",
            },
            StartTimeUs = startUs,
        };
    }

    private static FileRef File(string path) => new()
    {
        Path = path,
        Name = Path.GetFileName(path),
        Md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(path))),
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path))),
        Size = path.Length * 1024L,
    };

    private void Specialise(Event e)
    {
        switch (e.PayloadCase)
        {
            case Event.PayloadOneofCase.FileCreate or Event.PayloadOneofCase.FileModify or Event.PayloadOneofCase.FileDelete:
                var file = File($"/home/alice/docs/report-{_random.Next(10_000)}.{(_random.Next(2) == 0 ? "txt" : "sh")}");
                (e.FileCreate ?? e.FileModify ?? e.FileDelete).File = file;
                break;
            case Event.PayloadOneofCase.FileRename:
                e.FileRename.File = File($"/tmp/renamed-{_random.Next(10_000)}.bin");
                e.FileRename.OldPath = $"/tmp/original-{_random.Next(10_000)}.bin";
                break;
            case Event.PayloadOneofCase.NetworkConnection:
                var c = e.NetworkConnection;
                c.LocalIp = "10.0.0." + _random.Next(2, 250).ToString(CultureInfo.InvariantCulture);
                c.LocalPort = _random.Next(32768, 60999);
                c.RemoteIp = "192.0.2." + _random.Next(1, 250).ToString(CultureInfo.InvariantCulture);
                c.RemotePort = _random.Next(4) == 0 ? 4444 : 443;
                c.Protocol = "tcp";
                c.Direction = Direction.Outbound;
                break;
            case Event.PayloadOneofCase.PortListen:
                e.PortListen.LocalIp = "0.0.0.0";
                e.PortListen.LocalPort = _random.Next(2) == 0 ? 22 : 8080;
                e.PortListen.Protocol = "tcp";
                break;
            case Event.PayloadOneofCase.DnsQuery:
                e.DnsQuery.Name = $"host{_random.Next(100)}.{Domains[_random.Next(Domains.Length)]}";
                e.DnsQuery.QueryType = "A";
                e.DnsQuery.ResolvedIps.Clear();
                e.DnsQuery.ResolvedIps.Add("198.51.100." + _random.Next(1, 250).ToString(CultureInfo.InvariantCulture));
                break;
            case Event.PayloadOneofCase.ModuleLoad:
                e.ModuleLoad.Module = File($"/usr/lib/x86_64-linux-gnu/lib{_random.Next(50)}.so");
                break;
        }
    }

    /// <summary>Sets every field of a message to a plausible value, recursing into message fields.</summary>
    private void Fill(IMessage message, int depth)
    {
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.RealContainingOneof is not null && field.RealContainingOneof.Fields[0] != field)
            {
                continue;
            }
            if (field.IsMap)
            {
                continue;
            }
            if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                for (var i = 0; i < 2 && (field.FieldType != FieldType.Message || depth < 3); i++)
                {
                    list.Add(Value(field, depth));
                }
                continue;
            }
            if (field.FieldType == FieldType.Message && depth >= 3)
            {
                continue;
            }
            field.Accessor.SetValue(message, Value(field, depth));
        }
    }

    private object Value(FieldDescriptor field, int depth)
    {
        switch (field.FieldType)
        {
            case FieldType.String:
                return field.Name.EndsWith("_ip", StringComparison.Ordinal) || field.Name.EndsWith("ips", StringComparison.Ordinal)
                    ? "198.51.100." + _random.Next(1, 250).ToString(CultureInfo.InvariantCulture)
                    : field.Name + "-" + _random.Next(1000).ToString(CultureInfo.InvariantCulture);
            case FieldType.Bool:
                return _random.Next(2) == 0;
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                return _random.Next(1, 65535);
            case FieldType.UInt32 or FieldType.Fixed32:
                return (uint)_random.Next(1, 65535);
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                return field.Name.EndsWith("_us", StringComparison.Ordinal)
                    ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - _random.Next(1_000_000)
                    : (long)_random.Next(1, int.MaxValue);
            case FieldType.UInt64 or FieldType.Fixed64:
                return (ulong)_random.Next(1, int.MaxValue);
            case FieldType.Double:
                return _random.NextDouble();
            case FieldType.Float:
                return (float)_random.NextDouble();
            case FieldType.Bytes:
                return ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16));
            case FieldType.Enum:
                var values = field.EnumType.Values;
                return Enum.ToObject(field.EnumType.ClrType, values.Count > 1 ? values[1].Number : 0);
            case FieldType.Message:
                var nested = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                Fill(nested, depth + 1);
                return nested;
            default:
                throw new NotSupportedException($"field type {field.FieldType} of {field.FullName}");
        }
    }
}
