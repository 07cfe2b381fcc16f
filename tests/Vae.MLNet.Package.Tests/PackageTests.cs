using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Vae.MLNet.Package.Tests;

/// <summary>What the package declares: exactly the library's own dependencies, and a version per commit.</summary>
[Collection(PackedLibraryCollection.Name)]
public sealed partial class PackageTests(PackedLibrary pack)
{
    [Fact]
    public void TheNuspecDependsOnMicrosoftMLFiveToSixAndTorchSharpCpuOnly()
    {
        var nuspec = ReadNuspec();
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var groups = nuspec.Descendants(ns + "dependencies").Single().Elements(ns + "group").ToArray();

        var group = Assert.Single(groups);
        Assert.Equal("net10.0", group.Attribute("targetFramework")?.Value);
        var dependencies = group.Elements(ns + "dependency").Select(d => (Id: d.Attribute("id")!.Value, Version: d.Attribute("version")!.Value)).OrderBy(d => d.Id).ToArray();
        Assert.Equal([("Microsoft.ML", "[5.0.1, 7.0.0)"), ("TorchSharp-cpu", "0.107.0")], dependencies);
        Assert.Equal(pack.Version, nuspec.Descendants(ns + "version").Single().Value);
    }

    [Fact]
    public void ThePackageCarriesTheLibraryTheBuildStepAndItsElfEdit()
    {
        using var archive = ZipFile.OpenRead(pack.Package);
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("lib/net10.0/Vae.MLNet.dll", entries);
        Assert.Contains("lib/net10.0/Vae.MLNet.xml", entries);
        Assert.Contains("buildTransitive/Vae.MLNet.targets", entries);
        Assert.Contains("buildTransitive/GlibcxxWeak.cs", entries);
        Assert.Contains("README.md", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("runtimes/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlainPackIsAPrereleaseNamedAfterTheCommit()
    {
        var (exitCode, output) = await Repository.Dotnet(Repository.Root, TimeSpan.FromMinutes(3), null,
            "msbuild", "src/Vae.MLNet", "-t:VaeMLNetPackageVersion", "-getProperty:PackageVersion", "-nologo");
        Assert.True(exitCode == 0, output);
        var version = output.Trim().Split('\n')[^1].Trim();
        var (_, hash) = await Git("rev-parse", "--short", "HEAD");

        var match = PrereleaseVersion().Match(version);
        Assert.True(match.Success, $"'{version}' is not 0.1.0-dev.<time>.g<hash>[.modified]");
        Assert.Equal("g" + hash.Trim(), match.Groups["hash"].Value);

        var (releaseCode, release) = await Repository.Dotnet(Repository.Root, TimeSpan.FromMinutes(3), null,
            "msbuild", "src/Vae.MLNet", "-t:VaeMLNetPackageVersion", "-getProperty:PackageVersion", "-p:VaeMLNetRelease=true", "-nologo");
        Assert.True(releaseCode == 0, release);
        Assert.Equal("0.1.0", release.Trim().Split('\n')[^1].Trim());
    }

    private XDocument ReadNuspec()
    {
        using var archive = ZipFile.OpenRead(pack.Package);
        using var stream = archive.GetEntry("Vae.MLNet.nuspec")!.Open();
        return XDocument.Load(stream);
    }

    private static async Task<(int ExitCode, string Output)> Git(params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", arguments)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [GeneratedRegex(@"^0\.1\.0-dev\.(?<time>\d{14})\.(?<hash>g[0-9a-f]{7,40})(\.modified)?$")]
    private static partial Regex PrereleaseVersion();
}
