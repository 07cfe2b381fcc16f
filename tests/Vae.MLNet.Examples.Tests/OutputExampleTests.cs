using System.Globalization;

namespace Vae.MLNet.Examples.Tests;

/// <summary>Runs the examples of the model's outputs beyond the latent features (anomaly scores, imputation,
/// generation) on small settings. Imputation and Synthetic read UCI Adult from <c>../shared/data/adult</c> and fail
/// with a message saying so when it is absent.</summary>
[Collection(ExampleCollection.Name)]
public sealed class OutputExampleTests
{
    [Fact]
    public void AnomalyDetectionFindsTheInjectedRowsBetterThanPcaAndAPerColumnCheck()
    {
        using var output = new TempFolder();
        var run = ExampleRun.Start("AnomalyDetection", "--rows", "2000", "--epochs", "15", "--out", output.Path);
        var summary = run.Summary("anomaly");

        Assert.Contains("2000 rows, 40 injected anomalies", run.Output);
        var vae = ExampleRun.Number(summary, "vae-auc");
        Assert.InRange(vae, 0.8, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "pca-auc"), 0.5, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "column-auc"), 0.4, 1.0);
        Assert.True(vae > ExampleRun.Number(summary, "column-auc"), run.Output);

        // The table: all anomalies and each kind, for each of the three methods.
        foreach (var method in new[] { "VAE score", "randomized PCA", "per-column" })
        {
            var row = run.Lines.Single(l => l.StartsWith(method, StringComparison.Ordinal));
            var figures = row[method.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(4, figures.Length);
            Assert.All(figures, f => Assert.InRange(f, 0.0, 1.0));
        }

        // Ten top rows, highest score first, each with its KL and the column that reconstructs worst.
        var top = run.Lines.SkipWhile(l => !l.StartsWith("most anomalous rows", StringComparison.Ordinal)).Skip(1).Take(10).ToArray();
        Assert.Equal(10, top.Length);
        var scores = top.Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(top, l => Assert.Matches(@"KL +[0-9.]+ +worst column (Income|Age|Tenure|Spend|City|Plan|Member) ", l));
        Png.AssertPicture(output["anomaly-roc.png"]);
    }

    [Fact]
    public void ImputationOnAdultFillsEveryHiddenCellAndBeatsMeanAndModeOnTheCategories()
    {
        var data = AdultFolder();
        using var output = new TempFolder();
        var run = ExampleRun.Start("Imputation", data, "--train-rows", "3000", "--epochs", "25", "--out", output.Path);
        var summary = run.Summary("imputation");

        Assert.Contains("rows still holding an empty or NaN cell after imputation: 0", run.Output);
        var table = run.Lines.SkipWhile(l => !l.StartsWith("column", StringComparison.Ordinal)).Skip(1).Take(14).ToArray();
        Assert.Equal(14, table.Length);
        foreach (var row in table)
        {
            // hidden cells, the model's figure, the baseline's (numbers: then both RMSEs in the column's units)
            var figures = row.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(figures.Length is 3 or 5, row);
            Assert.InRange(figures[0], 300, 900); // about 20% of 3,000 rows, less Adult's own "?"
            Assert.All(figures.Skip(1).Take(2), f => Assert.InRange(f, 0.0, 2.0));
            Assert.All(figures.Skip(3), f => Assert.True(f >= 0));
        }

        // Mean imputation has a normalised RMSE of about 1 by construction; the model must beat it on the numbers and
        // the mode on the categories (age, education, marital status, relationship follow from the other columns).
        Assert.InRange(ExampleRun.Number(summary, "mean-nrmse"), 0.95, 1.1);
        Assert.True(ExampleRun.Number(summary, "vae-nrmse") < ExampleRun.Number(summary, "mean-nrmse") - 0.03, run.Output);
        Assert.True(ExampleRun.Number(summary, "vae-accuracy") > ExampleRun.Number(summary, "mode-accuracy") + 0.03, run.Output);
        Png.AssertPicture(output["imputation.png"]);
    }

    [Fact]
    public void SyntheticAdultRowsMatchTheMarginalsAndTrainAUsefulClassifier()
    {
        var data = AdultFolder();
        using var output = new TempFolder();
        var run = ExampleRun.Start("Synthetic", data, "--train-rows", "3000", "--epochs", "15", "--out", output.Path);
        var summary = run.Summary("synthetic");

        Assert.Contains("generating 3000 rows", run.Output);
        Assert.InRange(ExampleRun.Number(summary, "tvd"), 0.0, 0.1);
        Assert.InRange(ExampleRun.Number(summary, "ks"), 0.0, 0.5);
        Assert.InRange(ExampleRun.Number(summary, "corr-diff"), 0.0, 0.2);
        Assert.InRange(ExampleRun.Number(summary, "auc-real"), 0.85, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "auc-synthetic"), 0.6, 1.0);
        Assert.InRange(ExampleRun.Number(summary, "f1-synthetic"), 0.0, 1.0);
        Png.AssertPicture(output["synthetic-marginals.png"]);
    }

    [Fact]
    public void ConditionalAdultRowsHoldTheirConditionsExactly()
    {
        var data = AdultFolder();
        using var output = new TempFolder();
        var run = ExampleRun.Start("Synthetic", data, "--train-rows", "3000", "--epochs", "10", "--conditional", "--out", output.Path);
        var summary = run.Summary("conditional");

        Assert.Contains("NativeCountry = Philippines", run.Output);
        Assert.Equal(1.0, ExampleRun.Number(summary, "exact"));
        Assert.InRange(ExampleRun.Number(summary, "tvd"), 0.0, 0.3);
        Assert.InRange(ExampleRun.Number(summary, "ks"), 0.0, 0.6);
    }

    private static string AdultFolder() => SharedDataExampleTests.SharedDataFolder("adult", "adult.train.csv", "adult.test.csv");
}
