using System.Diagnostics;
using System.Text;

namespace Vae.MLNet.Package.Tests;

/// <summary>The repository these tests belong to, and a way to run the dotnet CLI in it.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootFolder = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Vae.MLNet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Vae.MLNet.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder of Vae.MLNet.sln.</summary>
    public static string Root => RootFolder.Value;

    /// <summary>The configuration these tests were built in (Release or Debug).</summary>
    public static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    /// <summary>Runs <c>dotnet</c> with the arguments in <paramref name="folder"/>; returns its exit code and
    /// everything it printed (standard output, then standard error).</summary>
    public static async Task<(int ExitCode, string Output)> Dotnet(string folder, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        // No MSBuild node outlives the command (it would keep this process's pipes open).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        // This test's own build settings (MSBuild's node reuse, the test host's variables) are not the child's.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEndAsync();
        var printed = process.StandardOutput.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        // A process the command left running (a build server) may hold the pipes open: take what came within a while.
        var output = new StringBuilder();
        foreach (var stream in new[] { printed, errors })
        {
            if (await Task.WhenAny(stream, Task.Delay(TimeSpan.FromSeconds(10))) == stream)
            {
                output.Append(await stream);
            }
        }

        if (timedOut)
        {
            return (-1, $"timed out after {timeout}: dotnet {string.Join(' ', arguments)}\n{output}");
        }

        return (process.ExitCode, output.ToString());
    }
}
