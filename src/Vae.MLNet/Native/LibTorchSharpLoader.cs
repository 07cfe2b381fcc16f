using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Vae.MLNet.Native;

/// <summary>
/// Lets TorchSharp load on Linux systems whose libstdc++ lacks <see cref="GlibcxxWeak.Version"/> (Debian 12, Ubuntu
/// 22.04) when nothing patched the libLibTorchSharp.so it would load: notebook kernels and other hosts that load
/// packages straight from the NuGet cache, or builds with the build step turned off. Before TorchSharp first loads,
/// the library is copied to a per-user cache folder with the requirement marked weak, and that copy is loaded; the
/// NuGet cache is never written to. Does nothing on Windows and macOS, where libstdc++ has the version, where the
/// library TorchSharp finds is already patched, and, silently, whenever it cannot help: TorchSharp then reports its
/// own error when it loads.
/// </summary>
internal static class LibTorchSharpLoader
{
    private const string FileName = "libLibTorchSharp.so";

    private static readonly object Gate = new();
    private static bool _attempted;

    /// <summary>The patched copy loaded by <see cref="EnsureLoaded"/>, or null when it loaded none.</summary>
    internal static string? LoadedCopy { get; private set; }

    /// <summary>Runs once per process, before the library's first TorchSharp call.</summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_attempted)
            {
                return;
            }

            _attempted = true;
            try
            {
                LoadedCopy = Load();
            }
            catch (Exception)
            {
                // Whatever went wrong, the estimator must stay usable (this runs in its static constructor): nothing
                // is loaded, and TorchSharp's own message will say why it cannot load, if it cannot.
                LoadedCopy = null;
            }
        }
    }

    private static string? Load()
    {
        if (!OperatingSystem.IsLinux() || SystemProvidesVersion())
        {
            return null;
        }

        var torch = typeof(TorchSharp.torch).Assembly; // typeof loads the assembly, not TorchSharp's natives
        if (FindOriginal(torch) is not { } original)
        {
            return null;
        }

        var copy = PrepareCopy(original, CacheFolders());
        if (copy is null)
        {
            return null;
        }

        // The copy's folder holds none of the libraries it needs; load them first from where TorchSharp finds them,
        // so that the copy's dependencies resolve to them by name.
        foreach (var dependency in new[] { "c10", "torch_cpu", "torch" })
        {
            NativeLibrary.TryLoad(dependency, torch, null, out _);
        }

        NativeLibrary.Load(copy);
        return copy;
    }

    /// <summary>
    /// Writes the patched copy of <paramref name="original"/> into the first of <paramref name="folders"/> that can
    /// take it, as <c>&lt;folder&gt;/&lt;hash of the original&gt;/libLibTorchSharp.so</c>, and returns its path; null when
    /// the original needs no patch or no folder can take the copy. A copy already there with the right bytes is
    /// reused. The copy is written to a file of its own and renamed into place, so a process that starts at the same
    /// time sees either no copy or a whole one.
    /// </summary>
    internal static string? PrepareCopy(string original, IEnumerable<string> folders)
    {
        var bytes = File.ReadAllBytes(original);
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        if (!GlibcxxWeak.MarkWeak(bytes))
        {
            return null;
        }

        foreach (var folder in folders)
        {
            string? temporary = null;
            try
            {
                var directory = Path.Combine(folder, hash);
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(directory);
                }
                else
                {
                    Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }

                var copy = Path.Combine(directory, FileName);
                if (File.Exists(copy) && File.ReadAllBytes(copy).AsSpan().SequenceEqual(bytes))
                {
                    return copy;
                }

                temporary = Path.Combine(directory, $"{FileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                File.WriteAllBytes(temporary, bytes);
                File.Move(temporary, copy, overwrite: true);
                temporary = null;
                return copy;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not writable here (a read-only home, a full disk): try the next folder.
            }
            finally
            {
                if (temporary is not null)
                {
                    try
                    {
                        File.Delete(temporary);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Left behind; the folder is the user's own cache.
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The per-user cache folder (<c>$XDG_CACHE_HOME/Vae.MLNet</c>, else <c>~/.cache/Vae.MLNet</c>), then
    /// one in the temp folder.</summary>
    internal static IEnumerable<string> CacheFolders()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            cache = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
        }

        if (cache is not null)
        {
            yield return Path.Combine(cache, "Vae.MLNet");
        }

        yield return Path.Combine(Path.GetTempPath(), $"Vae.MLNet-{Environment.UserName}");
    }

    /// <summary>
    /// The libLibTorchSharp.so TorchSharp would load: in the folders the host probes for native libraries (an
    /// application's output), else beside TorchSharp.dll or in its package's <c>runtimes/&lt;rid&gt;/native</c> folder.
    /// </summary>
    internal static string? FindOriginal(Assembly torch)
    {
        var rid = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "linux-x64",
            Architecture.Arm64 => "linux-arm64",
            _ => null,
        };
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string probed)
        {
            folders.AddRange(probed.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        if (Path.GetDirectoryName(torch.Location) is { Length: > 0 } beside)
        {
            folders.Add(beside);
            if (rid is not null)
            {
                folders.Add(Path.Combine(beside, "runtimes", rid, "native"));
                folders.Add(Path.Combine(beside, "..", "..", "runtimes", rid, "native"));
            }
        }

        return folders.Select(folder => Path.Combine(folder, FileName)).FirstOrDefault(File.Exists) is { } found
            ? Path.GetFullPath(found)
            : null;
    }

    private static bool SystemProvidesVersion()
    {
        // The libstdc++ this process runs with, else the distribution's.
        var loaded = File.Exists("/proc/self/maps")
            ? File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(parts => parts.Length >= 6 && Path.GetFileName(parts[5]).StartsWith("libstdc++.so", StringComparison.Ordinal))
                .Select(parts => parts[5]).FirstOrDefault(File.Exists)
            : null;
        var library = loaded ?? GlibcxxWeak.FindLibStdCxx(GlibcxxWeak.LibStdCxxFolders);
        return library is not null && GlibcxxWeak.Defines(library);
    }
}
