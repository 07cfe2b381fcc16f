namespace Vae.MLNet.Package.Tests;

/// <summary>
/// One fresh <c>dotnet pack</c> of src/Vae.MLNet for this test run, in a folder of its own, with a prerelease version
/// no earlier run used (so no NuGet cache can serve an older build instead). Removed afterwards, with the copy that
/// restores put in the NuGet cache.
/// </summary>
public sealed class PackedLibrary : IAsyncLifetime
{
    /// <summary>The folder that holds the package: a NuGet source.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("vae-pack-").FullName;

    /// <summary>The package's version.</summary>
    public string Version { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>The .nupkg file.</summary>
    public string Package => Path.Combine(Folder, $"Vae.MLNet.{Version}.nupkg");

    /// <summary>What the pack printed.</summary>
    public string PackOutput { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var (exitCode, output) = await Repository.Dotnet(Repository.Root, TimeSpan.FromMinutes(5), null,
            "pack", "src/Vae.MLNet", "-c", Repository.Configuration, "-o", Folder, $"-p:PackageVersion={Version}");
        PackOutput = output;
        if (exitCode != 0 || !File.Exists(Package))
        {
            throw new InvalidOperationException($"dotnet pack failed ({exitCode}):\n{output}");
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Folder, recursive: true);
        var restored = Path.Combine(NuGetPackagesFolder(), "vae.mlnet", Version.ToLowerInvariant());
        if (Directory.Exists(restored))
        {
            Directory.Delete(restored, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Where restore puts packages.</summary>
    public static string NuGetPackagesFolder() => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
        ? configured
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}

/// <summary>The tests that share one pack; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PackedLibraryCollection : ICollectionFixture<PackedLibrary>
{
    public const string Name = "packed library";
}
