using Osprey.Agent.Sensors.HostState;

namespace Osprey.Agent.Tests.Sensors.HostState;

public sealed class CronParserTests
{
    [Fact]
    public void SystemCrontab_HasScheduleUserAndCommand_AndSkipsCommentsAndEnvironment()
    {
        var jobs = CronParser.Parse(
            "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/bin\n# m h dom mon dow user command\n\n"
            + "17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"
            + "@reboot nobody /usr/bin/env  X=1 /opt/start.sh  \n"
            + "  30 2 1-15/2 jan,feb mon-fri root /bin/echo \"a  b\" % stdin\r\n"
            + "MAILTO=\"\"\n",
            hasUserColumn: true, maxJobs: 100);

        Assert.Equal(3, jobs.Count);
        Assert.Equal(new CronJob(5, "17 * * * *", "root", "cd / && run-parts --report /etc/cron.hourly"), jobs[0]);
        Assert.Equal(new CronJob(6, "@reboot", "nobody", "/usr/bin/env  X=1 /opt/start.sh"), jobs[1]);
        Assert.Equal(new CronJob(7, "30 2 1-15/2 jan,feb mon-fri", "root", "/bin/echo \"a  b\" % stdin"), jobs[2]);
    }

    [Fact]
    public void UserCrontab_HasNoUserColumn()
    {
        var job = Assert.Single(CronParser.Parse("*/5 * * * * /home/alice/bin/sync --quiet\n", hasUserColumn: false, maxJobs: 10));
        Assert.Null(job.User);
        Assert.Equal("/home/alice/bin/sync --quiet", job.Command);
        Assert.Equal("*/5 * * * *", job.Schedule);
    }

    [Theory]
    [InlineData("* * * *")]
    [InlineData("* * * * *")]
    [InlineData("* * * * * root")]
    [InlineData("* * * * * root   ")]
    [InlineData("@sometimes root /bin/true")]
    [InlineData("@")]
    [InlineData("1 2 3 4 5; root /bin/true")]
    [InlineData("*/$ * * * * root /bin/true")]
    [InlineData("x * * * * root /bin/true")]
    [InlineData("# 1 2 3 4 5 root /bin/true")]
    [InlineData("FOO=1 2 3 4 5 root /bin/true")]
    public void LinesCronWouldReject_AreNotJobs(string line) => Assert.Null(CronParser.ParseLine(line, hasUserColumn: true, 1));

    [Fact]
    public void OverlongLinesAndTooManyJobs_AreBounded()
    {
        var longLine = "* * * * * root " + new string('x', CronParser.MaxLineLength);
        Assert.Empty(CronParser.Parse(longLine, hasUserColumn: true, maxJobs: 10));
        var many = string.Concat(Enumerable.Repeat("* * * * * root /bin/true\n", 50));
        Assert.Equal(10, CronParser.Parse(many, hasUserColumn: true, maxJobs: 10).Count);
    }
}
