using System.Globalization;

namespace Vae.MLNet.Examples.Tests;

/// <summary>Runs the examples that read the public data sets in <c>../shared/data</c> (beside the repository root)
/// on small settings. Each test fails with a message saying so when the data folder is absent.</summary>
[Collection(ExampleCollection.Name)]
public sealed class SharedDataExampleTests
{
    [Fact]
    public void AdultComparesLatentPcaAndRawFeaturesAndListsAnomalies()
    {
        var data = SharedDataFolder("adult", "adult.train.csv", "adult.test.csv");
        using var output = new TempFolder();
        var run = ExampleRun.Start("Adult", data, "--train-rows", "3000", "--epochs", "3", "--top", "4", "--out", output.Path);
        var summary = run.Summary("adult");

        // The whole test file is read: 16,281 records once its first line is skipped.
        Assert.Contains("among 16281 test rows", run.Output);
        Assert.Contains("3000 training rows", run.Output);

        // The table: three feature sets, each with its size, then AUC and F1 of LightGBM and of SDCA.
        var table = run.Lines.SkipWhile(l => !l.StartsWith("features", StringComparison.Ordinal)).Skip(1).Take(3).ToArray();
        Assert.Equal(3, table.Length);
        foreach (var (row, name) in table.Zip(new[] { "VAE latent mean", "PCA", "raw (one-hot + std)" }))
        {
            Assert.StartsWith(name, row);
            var figures = row[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(5, figures.Length);
            Assert.InRange(figures[1], 0.5, 1.0);
            Assert.InRange(figures[2], 0.0, 1.0);
            Assert.InRange(figures[3], 0.5, 1.0);
            Assert.InRange(figures[4], 0.0, 1.0);
        }

        Assert.InRange(ExampleRun.Number(summary, "vae-auc"), 0.75, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "pca-auc"), 0.75, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "raw-auc"), 0.85, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "raw-f1"), 0.5, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "vae-f1"), 0.3, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "vae-sdca-auc"), 0.75, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "pca-sdca-auc"), 0.75, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "raw-sdca-auc"), 0.85, 1.0);

        // Four anomalies, highest first, each a full record ending with its income label.
        var anomalies = run.Lines.SkipWhile(l => !l.StartsWith("Highest anomaly scores", StringComparison.Ordinal)).Skip(1).Take(4).ToArray();
        Assert.Equal(4, anomalies.Length);
        var scores = anomalies.Select(l => double.Parse(l.Split(' ', 2)[0], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(anomalies, l => Assert.Matches(@"(<=50K|>50K)\.$", l));
        Assert.Equal(scores[0], ExampleRun.Number(summary, "top-score"), 2);

        Png.AssertPicture(Path.Combine(output.Path, "adult-roc.png"));
        Png.AssertPicture(Path.Combine(output.Path, "adult-latent.png"));
    }

    [Fact]
    public void KlSweepPrintsATableRowAndDrawsTwoPicturesPerWeightAndTheGrid()
    {
        var data = SharedDataFolder("mnist", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        using var output = new TempFolder();
        double[] betas = [0, 1, 20];
        var run = ExampleRun.Start("KlSweep", data, "--epochs", "1", "--train-rows", "2000", "--test-rows", "1000", "--betas", "0,1,20", "--out", output.Path);
        var summary = run.Summary("klsweep");
        Assert.Equal(3, ExampleRun.Number(summary, "betas"));

        // beta  weight  train-recon  train-kl  test-recon  test-kl  active  test-neg-elbo  seconds
        var rows = run.Lines.SkipWhile(l => !l.StartsWith("beta ", StringComparison.Ordinal)).Skip(1).Take(betas.Length)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        Assert.Equal(betas.Length, rows.Length);
        for (var i = 0; i < betas.Length; i++)
        {
            var row = rows[i];
            Assert.Equal(9, row.Length);
            Assert.All(row, x => Assert.True(double.IsFinite(x)));
            Assert.Equal(betas[i], row[0]);
            Assert.Equal(betas[i], row[1], 6);
            Assert.InRange(row[6], 0, 2);

            // Test negative ELBO = reconstruction + KL, and it beats a coin flip per pixel (784 ln 2 = 543 nats).
            Assert.Equal(row[4] + row[5], row[7], 0.05);
            Assert.InRange(row[7], 50, 543);
            Assert.True(row[5] >= 0, $"negative KL at weight {betas[i]}");
        }

        Assert.True(rows[2][5] < rows[0][5], $"a KL weight of 20 should leave less test KL ({rows[2][5]}) than a weight of 0 ({rows[0][5]})");

        foreach (var beta in betas)
        {
            Png.AssertPicture(Path.Combine(output.Path, $"latent-beta-{beta.ToString(CultureInfo.InvariantCulture)}.png"));
            Png.AssertPicture(Path.Combine(output.Path, $"manifold-beta-{beta.ToString(CultureInfo.InvariantCulture)}.png"));
        }

        Png.AssertPicture(Path.Combine(output.Path, "kl-sweep-grid.png"));
        Assert.True(File.Exists(Path.Combine(output.Path, "kl-sweep-table.txt")));
    }

    [Fact]
    public void KlSweepRunsTheSameSweepWithBetaNormAndKlAnnealing()
    {
        var data = SharedDataFolder("mnist", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
        using var output = new TempFolder();
        double[] betas = [1, 20];
        var run = ExampleRun.Start("KlSweep", data, "--epochs", "2", "--train-rows", "1500", "--test-rows", "500", "--betas", "1,20",
            "--beta-norm", "--schedule", "sigmoid", "--out", output.Path);
        var summary = run.Summary("klsweep");
        Assert.Equal("Sigmoid", summary["schedule"]);
        Assert.Equal("True", summary["beta-norm"]);

        // The weight in effect at the end of training is beta_norm = beta x latent size / input width = beta x 2 / 784,
        // reached by the sigmoid warm-up.
        var rows = run.Lines.SkipWhile(l => !l.StartsWith("beta ", StringComparison.Ordinal)).Skip(1).Take(betas.Length)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
        Assert.Equal(betas.Length, rows.Length);
        for (var i = 0; i < betas.Length; i++)
        {
            Assert.Equal(betas[i], rows[i][0]);
            var normalised = betas[i] * 2 / 784;
            Assert.InRange(rows[i][1], 0.95 * normalised, 1.0001 * normalised);
            Assert.Equal(rows[i][4] + rows[i][5], rows[i][7], 0.05);
        }

        Png.AssertPicture(Path.Combine(output.Path, "kl-sweep-grid.png"));
    }

    /// <summary>The data set's folder under <c>../shared/data</c>; fails, saying the data is absent, when it or one of
    /// its files is missing.</summary>
    internal static string SharedDataFolder(string name, params string[] files)
    {
        string? root = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && root is null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vae.MLNet.sln")))
            {
                root = dir.FullName;
            }
        }

        Assert.True(root is not null, $"the repository root (Vae.MLNet.sln) is not above {AppContext.BaseDirectory}");
        var folder = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", name));
        var missing = files.Where(f => !File.Exists(Path.Combine(folder, f))).ToArray();
        Assert.True(missing.Length == 0, $"shared data absent: {folder} lacks {string.Join(", ", missing)}. These tests need the public data sets in ../shared/data beside the repository root.");
        return folder;
    }
}
