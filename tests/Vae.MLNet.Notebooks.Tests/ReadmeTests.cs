using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Notebooks.Tests;

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
            var (withLatent, simple) = (await CSharpScript.RunAsync<(IDataView, IDataView)>(code, NotebookRunner.ScriptOptions)).ReturnValue;
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

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Vae.MLNet.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Vae.MLNet.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"`(?<call>ml\.Transforms\.VariationalAutoencoder\(""Latent"", \[[^\]]*\], latentDimension: 4\))`")]
    private static partial Regex SimpleOverload();
}
