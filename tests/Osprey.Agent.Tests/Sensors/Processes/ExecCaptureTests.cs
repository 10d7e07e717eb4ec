using System.Diagnostics;
using System.Text;
using Osprey.Agent.Interop;
using Osprey.Agent.Sensors.Processes;
using Osprey.Testing.Paths;

namespace Osprey.Agent.Tests.Sensors.Processes;

/// <summary>The BPF exec capture on the real kernel: what it recorded for processes that have already exited and been reaped.</summary>
[Collection(nameof(ProcessSensorCollection))]
public sealed class ExecCaptureTests : IDisposable
{
    private readonly ExecCapture _capture;
    private readonly byte[] _record = new byte[ExecCapture.RecordSize];

    public ExecCaptureTests()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the exec capture tests need root (loading a BPF program needs CAP_BPF and CAP_PERFMON)");
        _capture = ExecCapture.TryLoad(ExecCapture.DefaultObjectPath, out var error) ?? throw new InvalidOperationException(error);
    }

    [Fact]
    public async Task ExitedProcess_HasItsArgumentsExecutableDirectoryEnvironmentAndIds()
    {
        using var cwd = new TempDirectory("osprey-exec-capture");
        var pid = await RunAsync("/bin/true", ["alpha", "two words", ""], cwd.Path, new() { ["OSPREY_CAPTURE_MARK"] = "on" });

        Assert.True(_capture.TryRead(pid, KernelClock.MonotonicNs(), _record), "no record of the exec");
        Assert.Equal("/bin/true\0alpha\0two words\0\0", Encoding.UTF8.GetString(ExecCapture.Arguments(_record)));
        Assert.Equal("/bin/true", Encoding.UTF8.GetString(ExecCapture.Executable(_record)));
        Assert.Equal(RealPath(cwd.Path), WorkingDirectory());
        Assert.Contains("OSPREY_CAPTURE_MARK=on", Encoding.UTF8.GetString(ExecCapture.Environment(_record)).Split('\0'));
        Assert.False(ExecCapture.EnvironmentCut(_record));
        Assert.Equal((0u, 0u, 0u, 0u), ExecCapture.Ids(_record));
    }

    [Fact]
    public async Task Script_RecordsItsInterpreterAsTheExecutable()
    {
        using var cwd = new TempDirectory("osprey-exec-capture");
        var script = Path.Combine(cwd.Path, "hello.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\nexit 0\n", TestContext.Current.CancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var pid = await RunAsync(script, ["x"], cwd.Path);

        Assert.True(_capture.TryRead(pid, KernelClock.MonotonicNs(), _record), "no record of the exec");
        Assert.Equal("/bin/sh", Encoding.UTF8.GetString(ExecCapture.Executable(_record)));
        Assert.Equal($"/bin/sh\0{script}\0x\0", Encoding.UTF8.GetString(ExecCapture.Arguments(_record)));
    }

    [Fact]
    public async Task ChangedUser_RecordsTheIdsTheProgramRanWith()
    {
        var pid = await RunAsync("/usr/bin/setpriv", ["--reuid=65534", "--regid=65533", "--clear-groups", "/bin/true", "as-nobody"], "/");

        Assert.True(_capture.TryRead(pid, KernelClock.MonotonicNs(), _record), "no record of the exec");
        Assert.Equal("/bin/true\0as-nobody\0", Encoding.UTF8.GetString(ExecCapture.Arguments(_record)));
        Assert.Equal((65534u, 65533u, 65534u, 65533u), ExecCapture.Ids(_record));
        Assert.Equal("/", WorkingDirectory());
    }

    [Fact]
    public async Task RecordOlderThanTheExecEvent_IsNotTaken()
    {
        var pid = await RunAsync("/bin/true", [], "/");

        // An exec event two seconds after the record is another exec of the same PID.
        Assert.False(_capture.TryRead(pid, KernelClock.MonotonicNs() + 2_000_000_000, _record));
        // And an exec event before the record was written cannot be this record's.
        Assert.False(_capture.TryRead(pid, 1, _record));
    }

    private string WorkingDirectory()
    {
        var buffer = new byte[4096];
        var length = ExecCapture.WorkingDirectory(_record, buffer);
        Assert.True(length > 0, "the working directory was not recorded whole");
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static string RealPath(string path) => new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);

    /// <summary>Runs the program to its end (reaped: gone from /proc) and returns its PID.</summary>
    private static async Task<int> RunAsync(string file, string[] arguments, string cwd, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, WorkingDirectory = cwd };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? [])
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var pid = process.Id;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        Assert.False(Directory.Exists($"/proc/{pid}"), "the process is still in /proc");
        return pid;
    }

    public void Dispose() => _capture.Dispose();
}
