using System.Diagnostics;
using System.Text;
using Osprey.Agent.Sensors.Processes;
using Osprey.Contracts.V1;

namespace Osprey.Agent.Tasks;

/// <summary>
/// "run-process": runs a command line (split as a POSIX shell splits words: quotes and backslashes; no expansion, no
/// pipes, for those run <c>sh -c '…'</c>) in a working directory, optionally as another account (its password
/// checked against /etc/shadow when one is given), and reports the exit code and the bounded stdout and stderr.
/// </summary>
internal sealed class RunProcessExecutor(string shadowPath = "/etc/shadow") : ITaskExecutor
{
    private const int DefaultMaxOutput = 1 << 20;
    private const int MaxOutputLimit = 16 << 20;

    public string Type => "run-process";

    public async Task ExecuteAsync(TaskRun run, CancellationToken cancellationToken)
    {
        var p = run.Definition.RunProcess ?? throw new TaskFailedException(22, "the task has no run-process parameters");
        var words = CommandLine.Split(p.CommandLine);
        if (words.Count == 0)
        {
            throw new TaskFailedException(22, "the command line is empty");
        }
        var executable = Resolve(words[0]) ?? throw new TaskFailedException(2, $"'{words[0]}' was not found (absolute path, or a program on PATH)");
        var cwd = string.IsNullOrEmpty(p.WorkingDirectory) ? "/" : p.WorkingDirectory;
        if (!Directory.Exists(cwd))
        {
            throw new TaskFailedException(2, $"the working directory {cwd} does not exist");
        }
        var info = new ProcessStartInfo { UseShellExecute = false, WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        var account = run.Definition.RunAs is { UserName.Length: > 0 } runAs ? Account(runAs.UserName, run) : null;
        if (account is { } user)
        {
            // setpriv changes IDs and groups, then executes the program in the same process (same PID).
            info.FileName = "/usr/bin/setpriv";
            foreach (var argument in (string[])[$"--reuid={user.Uid}", $"--regid={user.Gid}", "--init-groups", "--"])
            {
                info.ArgumentList.Add(argument);
            }
            info.ArgumentList.Add(executable);
            info.Environment["HOME"] = user.Home;
            info.Environment["USER"] = info.Environment["LOGNAME"] = user.Name;
        }
        else
        {
            info.FileName = executable;
        }
        foreach (var word in words.Skip(1))
        {
            info.ArgumentList.Add(word);
        }
        foreach (var entry in p.Environment)
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new TaskFailedException(22, $"environment entry '{entry}' is not NAME=value");
            }
            info.Environment[entry[..equals]] = entry[(equals + 1)..];
        }

        var maxOutput = p.MaxOutputBytes == 0 ? DefaultMaxOutput : (int)Math.Min(p.MaxOutputBytes, MaxOutputLimit);
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TaskFailedException(e.NativeErrorCode, $"{executable} could not be started: {e.Message}");
        }
        process.StandardInput.Close();
        var result = new RunProcessResult { Pid = process.Id, Executable = FileOf(executable, run) };
        if (ProcFs.ReadStat(process.Id) is { } stat)
        {
            result.UniquePid = run.Services.Processes.Identity.UniquePidOf(process.Id, stat.StartTicks);
        }
        run.Report.RunProcess = result;
        if (p.Detach)
        {
            _ = DrainAsync(process);
            return;
        }
        var stdout = ReadBoundedAsync(process.StandardOutput.BaseStream, maxOutput);
        var stderr = ReadBoundedAsync(process.StandardError.BaseStream, maxOutput);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var (outBytes, outCut) = await stdout.ConfigureAwait(false);
        var (errBytes, errCut) = await stderr.ConfigureAwait(false);
        result.ExitCode = process.ExitCode;
        result.Stdout = Google.Protobuf.ByteString.CopyFrom(outBytes);
        result.Stderr = Google.Protobuf.ByteString.CopyFrom(errBytes);
        result.OutputTruncated = outCut || errCut;
    }

    private UserAccount Account(string name, TaskRun run)
    {
        var account = run.Services.Users.Account(name) ?? throw new TaskFailedException(3, $"there is no account '{name}' on this host");
        if (run.RunAsPassword is { } password)
        {
            Verify(name, Encoding.UTF8.GetString(password));
        }
        return account;
    }

    /// <summary>Checks the password against the account's shadow entry (crypt(3) with its own method and salt).</summary>
    private void Verify(string name, string password)
    {
        var hash = File.ReadLines(shadowPath).Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 2 && f[0] == name)?[1]
            ?? throw new TaskFailedException(13, $"the account '{name}' has no shadow entry, so its password cannot be checked");
        if (hash.Length == 0 || hash.StartsWith('!') || hash.StartsWith('*'))
        {
            throw new TaskFailedException(13, $"the account '{name}' is locked or has no password; a password cannot be checked");
        }
        var computed = Interop.ProcessControl.Crypt(password, hash)
            ?? throw new TaskFailedException(13, $"the password hash method of '{name}' is not supported by this host's crypt(3)");
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(computed), Encoding.UTF8.GetBytes(hash)))
        {
            throw new TaskFailedException(13, $"wrong password for the account '{name}'");
        }
    }

    private static FileRef FileOf(string path, TaskRun run)
    {
        var file = new FileRef { Path = path, Name = Path.GetFileName(path) };
        if (run.Services.Hasher.TryHash(path) is { } hashes)
        {
            file.Md5 = hashes.Md5;
            file.Sha256 = hashes.Sha256;
            file.Size = hashes.Status.Size;
        }
        return file;
    }

    private static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }
        var path = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } value ? value : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }

    /// <summary>Reads the whole stream (so the process never blocks on a full pipe) and keeps its first <paramref name="max"/> bytes.</summary>
    private static async Task<(byte[] Bytes, bool Truncated)> ReadBoundedAsync(Stream stream, int max)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var truncated = false;
        int read;
        while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = max - (int)kept.Length;
            if (room > 0)
            {
                kept.Write(buffer, 0, Math.Min(room, read));
            }
            truncated |= read > room;
        }
        return (kept.ToArray(), truncated);
    }

    private static async Task DrainAsync(Process process)
    {
        await Task.WhenAll(ReadBoundedAsync(process.StandardOutput.BaseStream, 0), ReadBoundedAsync(process.StandardError.BaseStream, 0)).ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
    }
}
