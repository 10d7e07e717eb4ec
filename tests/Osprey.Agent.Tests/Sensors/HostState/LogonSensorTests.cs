using System.Diagnostics;
using System.Net;
using Osprey.Agent.Sensors.HostState;
using Osprey.Agent.Tests.Support;
using Osprey.Contracts.V1;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class LogonSensorTests
{
    private static long NowSeconds() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static void Append(string path, params UtmpRecord[] records)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        foreach (var record in records)
        {
            file.Write(record.ToBytes());
        }
    }

    private static void WriteSlot(string path, int slot, UtmpRecord record)
    {
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        file.Position = (long)slot * UtmpRecord.Size;
        file.Write(record.ToBytes());
    }

    private static LogonSensorOptions In(TempDirectory dir, bool withWtmp = true, bool withAuth = false) => new()
    {
        UtmpPath = Path.Join(dir.Path, "utmp"),
        WtmpPath = Path.Join(dir.Path, withWtmp ? "wtmp" : "no-wtmp"),
        AuthLogPath = withAuth ? Path.Join(dir.Path, "auth.log") : null,
    };

    [Fact]
    public async Task WtmpLogonAndLogoff_AreReportedWithSessionUserHostAndDuration()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir);
        File.WriteAllBytes(options.WtmpPath, []);
        using var sessionProcess = Process.Start("/bin/sleep", "60")!;
        try
        {
            await using var h = new SensorHarness(new LogonSensor(options));
            await h.StartAsync();
            var loginTime = NowSeconds() * 1_000_000 + 250_000;
            Append(options.WtmpPath, new UtmpRecord
            {
                Type = UtmpType.UserProcess, Pid = sessionProcess.Id, Line = "pts/7", Id = "ts/7", User = "root",
                Host = "203.0.113.9", Address = IPAddress.Parse("203.0.113.9"), TimeUs = loginTime,
            });

            var logon = await h.WaitForAsync(e => e.UserLogon is { Tty: "pts/7" }, what: "logon from wtmp");
            Assert.Equal(EventType.UserLogon, logon.Type);
            Assert.Equal(loginTime, logon.TimeUs);
            Assert.Equal(sessionProcess.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), logon.UserLogon.SessionId);
            Assert.Equal(("root", "0"), (logon.UserLogon.User.Name, logon.UserLogon.User.Id));
            Assert.Equal(("0", "root"), (logon.UserLogon.Group.Id, logon.UserLogon.Group.Name));
            Assert.Equal("203.0.113.9", logon.UserLogon.RemoteHost);
            Assert.Equal("203.0.113.9", logon.UserLogon.RemoteIp);
            Assert.Equal("remote", logon.UserLogon.LogonType);
            Assert.Equal("sleep", logon.UserLogon.AuthService);
            Assert.Equal("success", logon.UserLogon.Result);
            Assert.Equal(sessionProcess.Id, logon.Process.Pid);
            Assert.Equal(h.Processes.Get(sessionProcess.Id)!.UniquePid, logon.Process.UniquePid);
            Assert.Equal(h.Processes.Get(Environment.ProcessId)!.UniquePid, logon.ParentUniquePid);
            Assert.Equal("root", logon.User.Name);

            Append(options.WtmpPath, new UtmpRecord { Type = UtmpType.DeadProcess, Pid = sessionProcess.Id, Line = "pts/7", Id = "ts/7", TimeUs = loginTime + 90_000_000 });
            var logoff = await h.WaitForAsync(e => e.UserLogoff is { Tty: "pts/7" }, what: "logoff from wtmp");
            Assert.Equal(EventType.UserLogoff, logoff.Type);
            Assert.Equal(90, logoff.UserLogoff.DurationSeconds);
            Assert.Equal(loginTime + 90_000_000, logoff.TimeUs);
            Assert.Equal("root", logoff.UserLogoff.User.Name);
            Assert.Equal(logon.UserLogon.SessionId, logoff.UserLogoff.SessionId);
            Assert.Equal("203.0.113.9", logoff.UserLogoff.RemoteIp);
            Assert.Single(h.Events, e => e.UserLogon is not null);
        }
        finally
        {
            sessionProcess.Kill();
            await sessionProcess.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task UtmpSlotChanges_AreReportedWhenWtmpIsNotKept()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir, withWtmp: false);
        WriteSlot(options.UtmpPath, 0, new UtmpRecord { Type = UtmpType.LoginProcess, Pid = 1, Line = "tty1", Id = "tty1", User = "LOGIN", TimeUs = 1_000_000 });
        await using var h = new SensorHarness(new LogonSensor(options));
        await h.StartAsync();
        var time = NowSeconds() * 1_000_000;

        WriteSlot(options.UtmpPath, 1, new UtmpRecord { Type = UtmpType.UserProcess, Pid = 999_999, Line = "tty2", Id = "tty2", User = "nobody", Session = 4321, TimeUs = time });
        var logon = await h.WaitForAsync(e => e.UserLogon is { Tty: "tty2" }, what: "logon from utmp");
        Assert.Equal("4321", logon.UserLogon.SessionId);
        Assert.Equal("console", logon.UserLogon.LogonType);
        Assert.Equal(("nobody", "65534"), (logon.UserLogon.User.Name, logon.UserLogon.User.Id));
        Assert.Equal("", logon.UserLogon.RemoteIp);
        Assert.Null(logon.Process);

        WriteSlot(options.UtmpPath, 1, new UtmpRecord { Type = UtmpType.DeadProcess, Pid = 999_999, Line = "tty2", Id = "tty2", TimeUs = time + 5_000_000 });
        var logoff = await h.WaitForAsync(e => e.UserLogoff is { Tty: "tty2" }, what: "logoff from utmp");
        Assert.Equal(5, logoff.UserLogoff.DurationSeconds);
        Assert.Equal("nobody", logoff.UserLogoff.User.Name);
        Assert.DoesNotContain(h.Events, e => e.UserLogon?.Tty == "tty1");
    }

    [Fact]
    public async Task SameLogonInUtmpAndWtmp_IsReportedOnce()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir);
        File.WriteAllBytes(options.WtmpPath, []);
        await using var h = new SensorHarness(new LogonSensor(options));
        await h.StartAsync();
        var record = new UtmpRecord { Type = UtmpType.UserProcess, Pid = 999_998, Line = "pts/9", Id = "ts/9", User = "root", Host = ":0", TimeUs = NowSeconds() * 1_000_000 };
        WriteSlot(options.UtmpPath, 0, record);
        Append(options.WtmpPath, record);
        var logon = await h.WaitForAsync(e => e.UserLogon is { Tty: "pts/9" }, what: "logon");
        Assert.Equal("graphical", logon.UserLogon.LogonType);
        Assert.Equal("", logon.UserLogon.RemoteHost);
        // A marker after both writes: once it is seen, both files have been read.
        Append(options.WtmpPath, record with { Line = "pts/10", Pid = 999_997 });
        await h.WaitForAsync(e => e.UserLogon is { Tty: "pts/10" }, what: "marker logon");
        Assert.Single(h.Events, e => e.UserLogon?.Tty == "pts/9");
    }

    [Fact]
    public async Task SessionOpenInUtmpAtStart_IsClosedByALaterLogoffWithItsUser()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir);
        var loginTime = (NowSeconds() - 3600) * 1_000_000;
        WriteSlot(options.UtmpPath, 0, new UtmpRecord { Type = UtmpType.UserProcess, Pid = 999_996, Line = "pts/3", Id = "ts/3", User = "root", Host = "198.51.100.4", TimeUs = loginTime });
        File.WriteAllBytes(options.WtmpPath, []);
        await using var h = new SensorHarness(new LogonSensor(options));
        await h.StartAsync();

        Append(options.WtmpPath, new UtmpRecord { Type = UtmpType.DeadProcess, Pid = 999_996, Line = "pts/3", Id = "ts/3", TimeUs = loginTime + 3_600_000_000 });
        var logoff = await h.WaitForAsync(e => e.UserLogoff is { Tty: "pts/3" }, what: "logoff of a session open at start");
        Assert.Equal(3600, logoff.UserLogoff.DurationSeconds);
        Assert.Equal("root", logoff.UserLogoff.User.Name);
        Assert.Equal("198.51.100.4", logoff.UserLogoff.RemoteIp);
        Assert.DoesNotContain(h.Events, e => e.UserLogon is not null);
    }

    [Fact]
    public async Task RotatedWtmp_IsReadFromItsStart()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir);
        Append(options.WtmpPath, new UtmpRecord { Type = UtmpType.BootTime, Line = "~", User = "reboot", TimeUs = 1_000_000 });
        await using var h = new SensorHarness(new LogonSensor(options));
        await h.StartAsync();

        var rotated = Path.Join(dir.Path, "wtmp.new");
        Append(rotated, new UtmpRecord { Type = UtmpType.UserProcess, Pid = 999_995, Line = "pts/4", User = "root", TimeUs = NowSeconds() * 1_000_000 });
        File.Move(rotated, options.WtmpPath, overwrite: true);
        await h.WaitForAsync(e => e.UserLogon is { Tty: "pts/4" }, what: "logon in the rotated wtmp");
    }

    [Fact]
    public async Task FailedLogonsInTheAuthLog_AreReportedAsFailures()
    {
        using var dir = new TempDirectory("osprey-logon");
        var options = In(dir, withAuth: true);
        File.WriteAllText(options.AuthLogPath!, "2024-03-01T09:00:00.000000+00:00 host sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n");
        await using var h = new SensorHarness(new LogonSensor(options));
        await h.StartAsync();

        File.AppendAllText(options.AuthLogPath!,
            "2024-03-01T10:00:00.123456+00:00 host sshd[4242]: Failed password for invalid user admin from 203.0.113.50 port 52214 ssh2\n"
            + "2024-03-01T10:00:01.000000+00:00 host sshd[4242]: Accepted publickey for root from 203.0.113.50 port 52215 ssh2: ED25519 SHA256:x\n"
            + "2024-03-01T10:00:02.000000+00:00 host sudo: pam_unix(sudo:auth): authentication failure; logname=nobody uid=65534 euid=0 tty=/dev/pts/1 ruser=nobody rhost=  user=nobody\n"
            + "2024-03-01T10:00:03.000000+00:00 host sshd[4243]: Failed publickey for root from 2001:db8::7 port 40000 ssh2: RSA SHA256:y");

        var ssh = await h.WaitForAsync(e => e.UserLogon is { AuthService: "sshd" }, what: "sshd failure");
        Assert.Equal("failure", ssh.UserLogon.Result);
        Assert.Equal("failed password (invalid user)", ssh.UserLogon.FailureReason);
        Assert.Equal("admin", ssh.UserLogon.User.Name);
        Assert.Equal("", ssh.UserLogon.User.Id);
        Assert.Equal("203.0.113.50", ssh.UserLogon.RemoteIp);
        Assert.Equal(52214, ssh.UserLogon.RemotePort);
        Assert.Equal("ssh", ssh.UserLogon.LogonType);
        Assert.Equal(DateTimeOffset.Parse("2024-03-01T10:00:00.123+00:00", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() * 1000, ssh.TimeUs);

        var sudo = await h.WaitForAsync(e => e.UserLogon is { AuthService: "sudo" }, what: "sudo failure");
        Assert.Equal("sudo", sudo.UserLogon.LogonType);
        Assert.Equal("pts/1", sudo.UserLogon.Tty);
        Assert.Equal(("nobody", "65534"), (sudo.UserLogon.User.Name, sudo.UserLogon.User.Id));
        Assert.Equal("authentication failure", sudo.UserLogon.FailureReason);

        // The last line has no newline yet: it is read once it is complete.
        Assert.DoesNotContain(h.Events, e => e.UserLogon?.RemoteIp == "2001:db8::7");
        File.AppendAllText(options.AuthLogPath!, "\n");
        var v6 = await h.WaitForAsync(e => e.UserLogon?.RemoteIp == "2001:db8::7", what: "IPv6 failure");
        Assert.Equal("failed publickey", v6.UserLogon.FailureReason);
        Assert.Equal(("root", "0"), (v6.UserLogon.User.Name, v6.UserLogon.User.Id));
        Assert.Equal(3, h.Events.Count);
    }

    [Fact]
    public async Task RecordsWrittenByUtmpdump_AreParsedAndOursReadBack()
    {
        using var dir = new TempDirectory("osprey-utmp");
        var dumped = Path.Join(dir.Path, "dumped");
        var text = "[7] [04242] [ts/0] [alice   ] [pts/0       ] [203.0.113.9         ] [203.0.113.9    ] [2024-03-01T10:00:00,123456+00:00]\n"
            + "[1] [00054] [~~  ] [shutdown] [~~          ] [6.1.0               ] [0.0.0.0        ] [2024-03-01T11:00:00,000000+00:00]\n";
        var input = Path.Join(dir.Path, "input.txt");
        File.WriteAllText(input, text);
        await HostCommands.RunAsync("sh", "-c", $"utmpdump -r < '{input}' > '{dumped}'");

        var records = Wtmp.ReadTail(dumped, 1 << 20);
        Assert.Equal(2, records.Count);
        Assert.Equal(UtmpType.UserProcess, records[0].Type);
        Assert.Equal(4242, records[0].Pid);
        Assert.Equal("pts/0", records[0].Line);
        Assert.Equal("ts/0", records[0].Id);
        Assert.Equal("alice", records[0].User);
        Assert.Equal("203.0.113.9", records[0].Host);
        Assert.Equal(IPAddress.Parse("203.0.113.9"), records[0].Address);
        Assert.Equal(DateTimeOffset.Parse("2024-03-01T10:00:00+00:00", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds() * 1_000_000 + 123456, records[0].TimeUs);
        Assert.Equal(UtmpType.RunLevel, records[1].Type);
        Assert.Equal("shutdown", records[1].User);

        var ours = Path.Join(dir.Path, "ours");
        File.WriteAllBytes(ours, [.. records[0].ToBytes(), .. records[1].ToBytes()]);
        Assert.Equal(await File.ReadAllBytesAsync(dumped, TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(ours, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void MalformedUtmpRecords_AreRejected()
    {
        Assert.False(UtmpRecord.TryParse(new byte[UtmpRecord.Size - 1], out _));
        var bad = new byte[UtmpRecord.Size];
        bad[0] = 42;
        Assert.False(UtmpRecord.TryParse(bad, out _));
        bad[0] = 0xff;
        bad[1] = 0xff;
        Assert.False(UtmpRecord.TryParse(bad, out _));
        // Fields filled to the last byte have no terminating NUL and must not run into the next field.
        var full = new UtmpRecord { Type = UtmpType.UserProcess, Line = new string('l', 40), User = new string('u', 40), Host = new string('h', 300) }.ToBytes();
        Assert.True(UtmpRecord.TryParse(full, out var record));
        Assert.Equal(new string('l', 32), record!.Line);
        Assert.Equal(new string('u', 32), record.User);
        Assert.Equal(new string('h', 256), record.Host);
    }

    [Fact]
    public void Ipv6Address_IsReadFromAllFourWords()
    {
        var bytes = new UtmpRecord { Type = UtmpType.UserProcess, Address = IPAddress.Parse("2001:db8::1") }.ToBytes();
        Assert.True(UtmpRecord.TryParse(bytes, out var record));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), record!.Address);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2024-03-01T10:00:00+00:00")]
    [InlineData("2024-03-01T10:00:00+00:00 host")]
    [InlineData("2024-13-01T10:00:00+00:00 host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2")]
    [InlineData("2024-03-01T10:00:00+00:00 host sshd[1]: Failed password for root from 192.0.2.1 port")]
    [InlineData("2024-03-01T10:00:00+00:00 host sshd[x]: Failed password for root from 192.0.2.1 port 22 ssh2")]
    [InlineData("2024-03-01T10:00:00+00:00 host sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2")]
    [InlineData("2024-03-01T10:00:00+00:00 host sshd[1]: pam_unix(sshd:auth): authentication failure; user=root")]
    [InlineData("Foo  1 10:00:00 host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2")]
    [InlineData("Mar  1 10:00:00host sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2")]
    public void AuthLogLinesThatAreNotFailures_AreIgnored(string line) =>
        Assert.Null(AuthLogParser.Parse(line, DateTimeOffset.UtcNow, TimeZoneInfo.Utc));

    [Fact]
    public void ClassicSyslogTimestamp_TakesTheYearFromNowAndGoesBackOverNewYear()
    {
        var now = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero);
        var entry = AuthLogParser.Parse("Dec 31 23:59:58 host sshd[7]: Failed password for root from 192.0.2.1 port 22 ssh2", now, TimeZoneInfo.Utc);
        Assert.NotNull(entry);
        Assert.Equal(new DateTimeOffset(2024, 12, 31, 23, 59, 58, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, entry.TimeUs);
        Assert.Equal(7, entry.Pid);
        var early = AuthLogParser.Parse("Jan  1 08:00:00 host sshd[7]: Failed password for root from 192.0.2.1 port 22 ssh2", now, TimeZoneInfo.Utc);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, early!.TimeUs);
        var leap = AuthLogParser.Parse("Feb 29 10:00:00 host sshd[7]: Failed password for root from 192.0.2.1 port 22 ssh2", now.AddMonths(2), TimeZoneInfo.Utc);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000, leap!.TimeUs);
    }

    [Fact]
    public async Task RealDefaultPaths_StartWithoutReportingOpenSessions()
    {
        await using var h = new SensorHarness(new LogonSensor());
        await h.StartAsync();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Empty(h.Events);
    }
}
