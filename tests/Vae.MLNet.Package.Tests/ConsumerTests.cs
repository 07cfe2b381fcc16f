using System.Text.Json;
using Xunit.Abstractions;

namespace Vae.MLNet.Package.Tests;

/// <summary>
/// A user's project on each ML.NET major the package supports, made here from scratch: it references the fresh pack
/// and Microsoft.ML, treats warnings as errors (NU1608 among them), fits, transforms and saves (one category a lone
/// surrogate), and a second process loads the model and must give the same values bit for bit over a source that
/// yields its rows once, and generate only categories of the data. The consumer on 5.0.1 turns the build step off, so its
/// TorchSharp loads through the library's own loader.
/// </summary>
[Collection(PackedLibraryCollection.Name)]
public sealed class ConsumerTests(PackedLibrary pack, ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("vae-consumer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("6.0.0", true)]
    [InlineData("5.0.1", false)]
    public async Task AConsumerRestoresWithoutWarningsFitsSavesAndLoadsInAFreshProcess(string mlNetVersion, bool buildStep)
    {
        WriteConsumer(mlNetVersion, buildStep);
        var (buildCode, build) = await Repository.Dotnet(_folder, TimeSpan.FromMinutes(6), null, "build", "-c", "Release");
        output.WriteLine(build);
        Assert.True(buildCode == 0, $"the consumer on ML.NET {mlNetVersion} does not build:\n{build}");
        Assert.DoesNotMatch(@"(?i)\bwarning\s+[A-Z]+\d+", build);
        Assert.DoesNotContain("NU1608", build);
        Assert.Equal(mlNetVersion, ResolvedVersion("Microsoft.ML"));
        Assert.Equal(pack.Version, ResolvedVersion("Vae.MLNet"));

        var program = Path.Combine(_folder, "bin", "Release", "net10.0", "Consumer.dll");
        var environment = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = Path.Combine(_folder, "cache") };
        var (fitCode, fit) = await Repository.Dotnet(_folder, TimeSpan.FromMinutes(3), environment, program, "fit", "model.zip", "fitted.txt");
        output.WriteLine(fit);
        Assert.True(fitCode == 0, fit);
        Assert.Contains($"ML.NET {mlNetVersion}", fit);
        var (loadCode, load) = await Repository.Dotnet(_folder, TimeSpan.FromMinutes(3), environment, program, "load", "model.zip", "loaded.txt");
        output.WriteLine(load);
        Assert.True(loadCode == 0, load);

        var fitted = File.ReadAllLines(Path.Combine(_folder, "fitted.txt"));
        Assert.Equal(300, fitted.Length);
        Assert.Equal(fitted, File.ReadAllLines(Path.Combine(_folder, "loaded.txt")));
        Assert.True(fitted.Distinct().Count() > 100, "the latent features hardly vary between rows");

        // Where the build step did not patch the output and this system lacks the version, the loader's copy is what ran.
        var patchedInOutput = !File.ReadAllBytes(Path.Combine(_folder, "bin", "Release", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"))
            .AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(PackedLibrary.NuGetPackagesFolder(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so")));
        Assert.Equal(buildStep && !SystemHasGlibcxx3432(), patchedInOutput);
        var loaderCopies = Directory.Exists(Path.Combine(_folder, "cache"))
            ? Directory.GetFiles(Path.Combine(_folder, "cache"), "libLibTorchSharp.so", SearchOption.AllDirectories)
            : [];
        Assert.Equal(!buildStep && !SystemHasGlibcxx3432() ? 1 : 0, loaderCopies.Length);
    }

    private string? ResolvedVersion(string id)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "obj", "project.assets.json")));
        return assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(library => library.Name.Split('/')).Where(parts => parts[0].Equals(id, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1]).SingleOrDefault();
    }

    private static bool SystemHasGlibcxx3432() =>
        new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists).Take(1).Any(path => File.ReadAllText(path, System.Text.Encoding.Latin1).Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal));

    private void WriteConsumer(string mlNetVersion, bool buildStep)
    {
        File.WriteAllText(Path.Combine(_folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="vae-local" value="{pack.Folder}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="vae-local">
                  <package pattern="Vae.MLNet" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(_folder, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <CreateHardLinksForCopyLocalIfPossible>true</CreateHardLinksForCopyLocalIfPossible>
                <VaeMLNetPatchLibTorchSharp>{(buildStep ? "auto" : "false")}</VaeMLNetPatchLibTorchSharp>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Vae.MLNet" Version="{pack.Version}" />
                <PackageReference Include="Microsoft.ML" Version="{mlNetVersion}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_folder, "Program.cs"), """
            using System.Globalization;
            using System.Reflection;
            using Microsoft.ML;
            using Microsoft.ML.Data;
            using Vae.MLNet;

            // fit <model> <out>: fits on made-up rows, saves the model, writes the outputs.
            // load <model> <out>: loads the model in this fresh process and writes the outputs of the same rows, read
            // from a source that yields them only once; the generated rows' cities must be cities of the data.
            var ml = new MLContext(seed: 1);
            // One city is a lone surrogate: a legal .NET string that UTF-8 cannot carry.
            string[] cities = ["c0", "c1", "c2", "c3", "c\uD800"];
            List<Row> Rows() => Enumerable.Range(0, 300).Select(i => new Row
            {
                Age = 20 + (i % 47), Income = 900f * (i % 7) + i, City = cities[i % 5], Member = i % 3 == 0,
            }).ToList();
            IDataView data;
            ITransformer model;
            if (args[0] == "fit")
            {
                data = ml.Data.LoadFromEnumerable(Rows());
                model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
                {
                    Columns = ["Age", "Income", "City", "Member"], LatentDimension = 3, Epochs = 3, ScoreColumnName = "Score",
                }).Fit(data);
                ml.Model.Save(model, data.Schema, args[1]);
            }
            else
            {
                model = ml.Model.Load(args[1], out _);
                data = ml.Data.LoadFromEnumerable(new OneShot<Row>(Rows()));
                var generated = ((VariationalAutoencoderTransformer)model).Generate(2000, seed: 3).GetColumn<string>("City").ToArray();
                if (generated.Any(city => !cities.Contains(city, StringComparer.Ordinal)))
                {
                    Console.Error.WriteLine("generated a city the data does not have");
                    return 3;
                }
            }

            var output = model.Transform(data);
            // One cursor over the output: the one-shot source is read once.
            var lines = new List<string>();
            using (var cursor = output.GetRowCursor([output.Schema["Latent"], output.Schema["Score"]]))
            {
                var latent = cursor.GetGetter<VBuffer<float>>(output.Schema["Latent"]);
                var score = cursor.GetGetter<float>(output.Schema["Score"]);
                VBuffer<float> z = default;
                var s = 0f;
                while (cursor.MoveNext())
                {
                    latent(ref z);
                    score(ref s);
                    lines.Add(string.Join(' ', z.DenseValues().Append(s).Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture))));
                }
            }

            File.WriteAllLines(args[2], lines);
            var version = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
            Console.WriteLine($"{args[0]}: ML.NET {version}, {model.GetType().Name}");
            return 0;

            sealed class OneShot<T>(IEnumerable<T> rows) : IEnumerable<T>
            {
                private int _reads;
                public IEnumerator<T> GetEnumerator() => (_reads++ == 0 ? rows : Enumerable.Empty<T>()).GetEnumerator();
                System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            }

            public sealed class Row
            {
                public float Age { get; set; }
                public float Income { get; set; }
                public string City { get; set; } = "";
                public bool Member { get; set; }
            }
            """);
    }
}
