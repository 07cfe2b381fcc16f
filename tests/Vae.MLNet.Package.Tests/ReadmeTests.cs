using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Package.Tests;

/// <summary>The README's code runs as written against this build, so it cannot drift from the API.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public async Task TheQuickStartSnippetAndTheSimpleOverloadRunAsWritten()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var snippet = CSharpBlock().Match(readme);
        Assert.True(snippet.Success, "the README has no ```csharp block");
        var overload = SimpleOverload().Match(readme);
        Assert.True(overload.Success, "the README no longer shows the simple overload `ml.Transforms.VariationalAutoencoder(\"Latent\", [...], ...)`");

        var model = Path.Combine(Path.GetTempPath(), $"vae-readme-{Guid.NewGuid():N}.zip");
        var lines = snippet.Groups["code"].Value.Replace("\"vae.zip\"", $"@\"{model}\"", StringComparison.Ordinal).Split('\n');
        // The snippet's `rows`: the user's objects; here a few hundred made up with the columns it names.
        var code = string.Join('\n', lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal))) + """

            public sealed class Customer
            {
                public float Age { get; set; }
                public float Income { get; set; }
                public string City { get; set; } = "";
                public bool Newsletter { get; set; }
            }

            var rows = Enumerable.Range(0, 300).Select(i => new Customer
            {
                Age = 20 + (i % 50), Income = 1000f * (i % 7), City = $"c{i % 3}", Newsletter = i % 2 == 0,
            }).ToList();

            """ + string.Join('\n', lines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal))) + $$"""

            var simple = {{overload.Groups["call"].Value}}.Fit(data);
            return (withLatent, simple.Transform(data));
            """;
        try
        {
            var (withLatent, simple) = (await CSharpScript.RunAsync<(IDataView, IDataView)>(code, ScriptOptions())).ReturnValue;
            Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4), withLatent.Schema["Latent"].Type);
            Assert.All(withLatent.GetColumn<float>("AnomalyScore"), s => Assert.True(float.IsFinite(s) && s >= 0));
            Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 4), simple.Schema["Latent"].Type);
            Assert.True(File.Exists(model), "the snippet's ml.Model.Save wrote nothing");
            Assert.IsType<VariationalAutoencoderTransformer>(new MLContext().Model.Load(model, out _));
        }
        catch (CompilationErrorException e)
        {
            Assert.Fail($"the README's quick start does not compile:\n{string.Join("\n", e.Diagnostics)}\n--- script ---\n{code}");
        }
        finally
        {
            File.Delete(model);
        }
    }

    private static string RepositoryRoot() => Repository.Root;

    /// <summary>The framework and this build's library with its packages, loaded here first so that the script shares
    /// them with this process; the test machinery is left out.</summary>
    private static ScriptOptions ScriptOptions()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var buildDirectory = Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory);
        var candidates = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Where(path =>
            Path.GetDirectoryName(path) == frameworkDirectory
            || (Path.GetDirectoryName(path) == buildDirectory && !IsTestMachinery(Path.GetFileName(path))));
        var assemblies = new List<Assembly> { typeof(VariationalAutoencoderOptions).Assembly, typeof(MLContext).Assembly };
        foreach (var path in candidates)
        {
            try
            {
                assemblies.Add(Assembly.Load(AssemblyName.GetAssemblyName(path)));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
            {
                // Native libraries and assemblies this runtime cannot load are not references.
            }
        }

        return Microsoft.CodeAnalysis.Scripting.ScriptOptions.Default
            .WithReferences(assemblies.Distinct())
            .WithImports("System", "System.Collections.Generic", "System.Linq")
            .WithOptimizationLevel(OptimizationLevel.Release)
            .WithEmitDebugInformation(false);
    }

    private static bool IsTestMachinery(string file) =>
        file.StartsWith("xunit", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("testhost", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.TestPlatform", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.VisualStudio", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase)
        || file.StartsWith("Vae.MLNet.Package.Tests", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"`(?<call>ml\.Transforms\.VariationalAutoencoder\(""Latent"", \[[^\]]*\], latentDimension: 4\))`")]
    private static partial Regex SimpleOverload();
}
