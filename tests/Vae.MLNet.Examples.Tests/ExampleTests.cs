using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Vae.MLNet.Examples.Tests;

/// <summary>Runs the examples that need no downloaded data, as a user would, and checks what they print and draw.</summary>
[Collection(ExampleCollection.Name)]
public sealed class ExampleTests
{
    [Fact]
    public void QuickStartOnTheBuiltInTableBeatsPcaAndDrawsBothPictures()
    {
        using var output = new TempFolder();
        // The built-in table as with no arguments, in half the default 40 epochs; the output folder given the
        // original way, as the only positional argument.
        var run = ExampleRun.Start("QuickStart", output.Path, "--epochs", "20");
        var summary = run.Summary("quickstart");

        var vae = ExampleRun.Number(summary, "vae-accuracy");
        var pca = ExampleRun.Number(summary, "pca-accuracy");
        var raw = ExampleRun.Number(summary, "raw-accuracy");
        Assert.InRange(vae, 0.80, 1.0);
        Assert.InRange(pca, 0.50, 1.0);
        Assert.InRange(raw, 0.80, 1.0);
        Assert.True(vae > pca, $"the 2-D latent features ({vae}) should predict the hidden segment better than 2 PCA components ({pca})");

        // One progress line per epoch, the loss of each of the six columns, and the KL line.
        Assert.Equal(20, run.Lines.Count(l => l.StartsWith("epoch ", StringComparison.Ordinal)));
        foreach (var column in new[] { "Age", "Income", "Visits", "City", "Plan", "Newsletter" })
        {
            var line = run.Lines.SingleOrDefault(l => l.StartsWith(column + " ", StringComparison.Ordinal));
            Assert.True(line is not null, $"no reconstruction line for {column}:\n{run.Output}");
            var loss = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            Assert.True(double.IsFinite(loss) && loss >= 0, $"{column}: {loss}");
        }

        Assert.Matches(new Regex(@"active units: [12] of 2"), run.Output);
        Png.AssertPicture(output["training.png"]);
        Png.AssertPicture(output["latent.png"]);
    }

    [Fact]
    public void QuickStartOnAUsersCsvInfersTheColumnsAndComparesOnTheLabel()
    {
        using var output = new TempFolder();
        var csv = output["table.csv"];
        WriteTable(csv, rows: 800);
        var run = ExampleRun.Start("QuickStart", csv, "--label", "group", "--ignore", "id", "--epochs", "15", "--out", output.Path);
        var summary = run.Summary("quickstart");

        Assert.Contains("3 numeric: size, weight, score", run.Output);
        Assert.Contains("2 categorical: colour, shape", run.Output);
        Assert.InRange(ExampleRun.Number(summary, "vae-accuracy"), 0.85, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "raw-accuracy"), 0.85, 1.0);
        Png.AssertPicture(output["training.png"]);
        Png.AssertPicture(output["latent.png"]);
    }

    [Fact]
    public void QuickStartOnACsvWithoutALabelFitsEveryRow()
    {
        using var output = new TempFolder();
        var csv = output["table.csv"];
        WriteTable(csv, rows: 300);
        var run = ExampleRun.Start("QuickStart", csv, "--epochs", "3", "--out", output.Path);
        var summary = run.Summary("quickstart");

        Assert.Equal(300, ExampleRun.Number(summary, "rows"));
        Assert.InRange(ExampleRun.Number(summary, "recon"), 0, 1e4);
        Assert.InRange(ExampleRun.Number(summary, "kl"), 0, 1e4);
        Png.AssertPicture(output["latent.png"]);
    }

    [Fact]
    public void OnnxExportScoresTheFileInAnotherProcessAndAgreesWithTheTransformer()
    {
        using var output = new TempFolder();
        var run = ExampleRun.Start("OnnxExport", "--rows", "300", "--epochs", "3", "--out", output.Path);
        var summary = run.Summary("onnx-export");

        Assert.Equal(300, ExampleRun.Number(summary, "rows"));
        Assert.InRange(ExampleRun.Number(summary, "latent-max-diff"), 0, 1e-5);
        Assert.InRange(ExampleRun.Number(summary, "score-max-rel-diff"), 0, 1e-5);
        Assert.InRange(ExampleRun.Number(summary, "imputed-max-diff"), 0, 1e-5);
        Assert.Equal("100.00%", summary["cities-equal"]);
        Assert.Equal("100.00%", summary["flags-equal"]);
        Assert.True(new FileInfo(output["vae.onnx"]).Length > 0);

        // The scoring ran in a process of its own.
        var scoring = run.Lines.Single(l => l.StartsWith("scored 300 rows with ONNX Runtime", StringComparison.Ordinal));
        Assert.DoesNotContain($"process {Environment.ProcessId}:", scoring);
    }

    [Theory]
    [InlineData("OnnxExport", "--rows", "none")]
    [InlineData("QuickStart", "--label", "group")]
    [InlineData("QuickStart", "--epochs", "zero")]
    [InlineData("Adult", "--latent", "zero")]
    [InlineData("KlSweep", "--schedule", "weekly")]
    [InlineData("KlSweep", "--betas", "1,-2")]
    [InlineData("KlSweep", "--unknown", "1")]
    public void BadArgumentsStopWithAMessageBeforeAnyWork(string example, string option, string value)
    {
        var run = ExampleRun.Start(example, option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("usage:", run.Errors);
        Assert.DoesNotContain("epoch", run.Output);
    }

    /// <summary>Two groups that differ in every column: three numbers (one with gaps), two categories, an id.</summary>
    [Fact]
    public void QuickStartPassesFreeBitsOnAnAllTextTable()
    {
        using var output = new TempFolder();
        var csv = output["text.csv"];
        WriteTextTable(csv, rows: 600);
        double[] KlByDimension(params string[] extra)
        {
            var run = ExampleRun.Start("QuickStart", [csv, "--label", "kind", "--latent", "6", "--epochs", "8", "--seed", "3", "--out", output.Path, .. extra]);
            Assert.Contains("10 categorical", run.Output);
            var line = run.Lines.Single(l => l.StartsWith("KL: ", StringComparison.Ordinal));
            var inside = line[(line.IndexOf('(', StringComparison.Ordinal) + 1)..line.IndexOf(" per dimension", StringComparison.Ordinal)];
            return inside.Split(", ").Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }

        // Ten text columns carry two bits: most of six latent dimensions collapse. With free bits a dimension's first
        // half nat costs nothing, and every dimension carries some of the two bits.
        var plain = KlByDimension();
        var held = KlByDimension("--free-bits", "0.5");
        Assert.Equal(6, plain.Length);
        Assert.Equal(6, held.Length);
        Assert.True(plain.Count(k => k < 0.05) >= 2, $"expected collapsed dimensions without free bits: {string.Join(", ", plain)}");
        Assert.True(held.All(k => k > 0.05), $"no dimension should collapse with --free-bits 0.5: {string.Join(", ", held)}");
    }

    /// <summary>Ten text columns, each a noisy copy of one of two hidden binary factors; the label is the first.</summary>
    private static void WriteTextTable(string path, int rows)
    {
        var random = new Random(5);
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, 10).Select(i => $"t{i}")) + ",kind\n");
        for (var r = 0; r < rows; r++)
        {
            var a = random.Next(2);
            var b = random.Next(2);
            var cells = Enumerable.Range(0, 10).Select(i =>
            {
                var factor = i % 2 == 0 ? a : b;
                return random.NextDouble() < 0.1 ? "x" : $"{(char)('a' + i)}{factor}";
            });
            text.Append(CultureInfo.InvariantCulture, $"{string.Join(',', cells)},{(a == 0 ? "p" : "e")}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    private static void WriteTable(string path, int rows)
    {
        var random = new Random(7);
        var text = new StringBuilder("id,size,colour,weight,shape,score,group\n");
        for (var i = 0; i < rows; i++)
        {
            var group = i % 2;
            double Noise() => random.NextDouble() - 0.5;
            var weight = random.Next(20) == 0 ? string.Empty : (60 + (15 * group) + (8 * Noise())).ToString("F1", CultureInfo.InvariantCulture);
            var colour = random.NextDouble() < 0.8 ? (group == 0 ? "red" : "blue") : "green";
            var shape = random.NextDouble() < 0.8 ? (group == 0 ? "round" : "square") : "star";
            text.Append(CultureInfo.InvariantCulture, $"r{i},{10 + (4 * group) + (2 * Noise()):F2},{colour},{weight},\"{shape}\",{(group * 3) + Noise():F3},{(group == 0 ? "small" : "large")}\n");
        }

        File.WriteAllText(path, text.ToString());
    }
}
