using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.ML;
using Vae.MLNet.Native;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Native;

/// <summary>
/// The patched copy the library loads where nothing patched TorchSharp's glue library: placed in a per-user cache,
/// atomically, never in the NuGet cache, with the temp folder as fallback; and a fresh process whose own copy is
/// unpatched still trains.
/// </summary>
public sealed class LibTorchSharpLoaderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TheCopyIsPatchedAndNamedAfterTheOriginalWhichStaysUntouched()
    {
        var original = Write("original.so", SyntheticElf.Build(["GLIBCXX_3.4.30", "GLIBCXX_3.4.32"], out var flags));
        var before = File.ReadAllBytes(original);

        var copy = LibTorchSharpLoader.PrepareCopy(original, [Path.Combine(_folder, "cache")]);

        Assert.NotNull(copy);
        var hash = Convert.ToHexString(SHA256.HashData(before))[..16].ToLowerInvariant();
        Assert.Equal(Path.Combine(_folder, "cache", hash, "libLibTorchSharp.so"), copy);
        var patched = File.ReadAllBytes(copy);
        Assert.Equal(0x2, patched[flags[1]]);
        Assert.Equal(before, File.ReadAllBytes(original));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(copy)!, "*.tmp"));
    }

    [Fact]
    public void TheNuGetCacheCopyOfTorchSharpIsNeverWritten()
    {
        var original = TorchSharpPackage.LibTorchSharp();
        var hashBefore = SHA256.HashData(File.ReadAllBytes(original));
        var stampBefore = File.GetLastWriteTimeUtc(original);

        var copy = LibTorchSharpLoader.PrepareCopy(original, [Path.Combine(_folder, "cache")]);

        Assert.NotNull(copy);
        Assert.StartsWith(_folder, copy);
        Assert.Equal(hashBefore, SHA256.HashData(File.ReadAllBytes(original)));
        Assert.Equal(stampBefore, File.GetLastWriteTimeUtc(original));
        var patched = File.ReadAllBytes(copy);
        Assert.False(GlibcxxWeak.MarkWeak(patched), "the copy should already carry the weak flag");
    }

    [Fact]
    public void AFolderThatCannotBeWrittenFallsBackToTheNext()
    {
        var original = Write("original.so", SyntheticElf.Build(["GLIBCXX_3.4.32"], out _));
        // A regular file where the cache folder should be: nothing can be created under it (even for root).
        var blocked = Write("not-a-folder", [1, 2, 3]);
        var fallback = Path.Combine(_folder, "temp");

        var copy = LibTorchSharpLoader.PrepareCopy(original, [Path.Combine(blocked, "Vae.MLNet"), fallback]);

        Assert.NotNull(copy);
        Assert.StartsWith(fallback, copy);
        Assert.Null(LibTorchSharpLoader.PrepareCopy(original, [Path.Combine(blocked, "Vae.MLNet")]));
    }

    [Fact]
    public void ALibraryThatNeedsNoPatchGetsNoCopy()
    {
        var weak = SyntheticElf.Build(["GLIBCXX_3.4.32"], out _);
        GlibcxxWeak.MarkWeak(weak);
        var already = Write("already.so", weak);
        var plain = Write("plain.so", SyntheticElf.Build(["GLIBCXX_3.4.30"], out _));
        var cache = Path.Combine(_folder, "cache");

        Assert.Null(LibTorchSharpLoader.PrepareCopy(already, [cache]));
        Assert.Null(LibTorchSharpLoader.PrepareCopy(plain, [cache]));
        Assert.False(Directory.Exists(cache));
    }

    [Fact]
    public void AWrongCopyInTheCacheIsReplacedAndARightOneReused()
    {
        var original = Write("original.so", SyntheticElf.Build(["GLIBCXX_3.4.32"], out _));
        var cache = Path.Combine(_folder, "cache");
        var copy = LibTorchSharpLoader.PrepareCopy(original, [cache])!;
        var good = File.ReadAllBytes(copy);
        File.WriteAllBytes(copy, [1, 2, 3]);

        Assert.Equal(copy, LibTorchSharpLoader.PrepareCopy(original, [cache]));
        Assert.Equal(good, File.ReadAllBytes(copy));

        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, stamp);
        Assert.Equal(copy, LibTorchSharpLoader.PrepareCopy(original, [cache]));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(copy));
    }

    [Fact]
    public async Task ManyAtOnceAllGetTheSameWholeCopy()
    {
        var original = TorchSharpPackage.LibTorchSharp();
        var cache = Path.Combine(_folder, "cache");
        using var start = new Barrier(8);
        var copies = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return LibTorchSharpLoader.PrepareCopy(original, [cache]);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        Assert.All(copies, c => Assert.Equal(copies[0], c));
        var expected = File.ReadAllBytes(original);
        GlibcxxWeak.MarkWeak(expected);
        Assert.Equal(expected, File.ReadAllBytes(copies[0]!));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(copies[0])!));
    }

    [Fact]
    public void TheCacheFolderFollowsXdgCacheHomeThenTheTempFolder()
    {
        var saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", Path.Combine(_folder, "xdg"));
            Assert.Equal(
                [Path.Combine(_folder, "xdg", "Vae.MLNet"), Path.Combine(Path.GetTempPath(), $"Vae.MLNet-{Environment.UserName}")],
                LibTorchSharpLoader.CacheFolders());

            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.Equal(
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "Vae.MLNet"),
                LibTorchSharpLoader.CacheFolders().First());
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
        }
    }

    [Fact]
    public void TheLibraryTorchSharpLoadsIsTheOneInThisOutputAndItIsAlreadyPatched()
    {
        var found = LibTorchSharpLoader.FindOriginal(typeof(TorchSharp.torch).Assembly);

        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), found);
        if (!GlibcxxWeak.Defines(GlibcxxWeak.FindLibStdCxx(GlibcxxWeak.LibStdCxxFolders)!))
        {
            // The build step patched it, so the loader has nothing to do in this process.
            Assert.Null(LibTorchSharpLoader.PrepareCopy(found!, [Path.Combine(_folder, "cache")]));
        }
    }

    /// <summary>
    /// Vae.MLNet.ProcessCheck run from a folder that mirrors its output but holds the NuGet cache's unpatched
    /// libLibTorchSharp.so, as a host without the build step would: the fit still runs, through the loader's copy.
    /// </summary>
    [Fact]
    public async Task AFreshProcessWithAnUnpatchedGlueLibraryStillTrains()
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var built = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Vae.MLNet.ProcessCheck", "bin", configuration, "net10.0"));
        var app = Path.Combine(_folder, "app");
        Mirror(built, app, Path.Combine("runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
        var glue = Path.Combine(app, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        File.Copy(TorchSharpPackage.LibTorchSharp(), glue);
        var systemHasIt = GlibcxxWeak.Defines(GlibcxxWeak.FindLibStdCxx(GlibcxxWeak.LibStdCxxFolders)!);

        var ml = new MLContext(seed: 1);
        var dataPath = Path.Combine(_folder, "data.idv");
        using (var stream = File.Create(dataPath))
        {
            ml.Data.SaveAsBinary(TestData.MixedTable.Load(ml, 200), stream);
        }

        var cache = Path.Combine(_folder, "xdg");
        var (exitCode, printed, errors) = await Fit(app, dataPath, new() { ["XDG_CACHE_HOME"] = cache });

        Assert.True(exitCode == 0, $"exit code {exitCode}: {errors}");
        Assert.Equal("threads=1", printed.Trim());
        Assert.True(File.Exists(Path.Combine(_folder, "model.zip")));
        var copies = Directory.Exists(cache) ? Directory.GetFiles(cache, "libLibTorchSharp.so", SearchOption.AllDirectories) : [];
        Assert.Equal(systemHasIt ? 0 : 1, copies.Length);

        if (!systemHasIt)
        {
            // The same process with nowhere to put the copy: the loader stays silent and TorchSharp's own error shows.
            var blocked = Write("blocked", [0]);
            var (failedCode, _, failure) = await Fit(app, dataPath, new() { ["XDG_CACHE_HOME"] = blocked, ["TMPDIR"] = blocked });
            Assert.NotEqual(0, failedCode);
            Assert.Contains("TypeInitializationException", failure);
            Assert.DoesNotContain("Vae.MLNet.Native", failure);
        }
    }

    private async Task<(int ExitCode, string Output, string Errors)> Fit(string app, string dataPath, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(app, "Vae.MLNet.ProcessCheck.dll"), "fit", dataPath, Path.Combine(_folder, "model.zip"), "3", "1", "Income", "Age", "Scores", "City", "Member"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var errorsTask = process.StandardError.ReadToEndAsync();
        var printed = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var errors = await errorsTask;
        output.WriteLine($"exit code {process.ExitCode}\n{printed}{errors}");
        return (process.ExitCode, printed, errors);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The application's files of <paramref name="source"/> copied, symbolic links to every other file but one, which is left out.</summary>
    private static void Mirror(string source, string target, string except)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative == except)
            {
                continue;
            }

            var link = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (Path.GetFileName(file).StartsWith("Vae.MLNet.ProcessCheck.", StringComparison.Ordinal))
            {
                File.Copy(file, link); // the host resolves the application's links: its own files are real copies
            }
            else
            {
                File.CreateSymbolicLink(link, file);
            }
        }
    }
}
