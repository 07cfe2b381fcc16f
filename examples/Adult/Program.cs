// UCI Adult: fit the variational autoencoder on the raw census table (numbers and text categories straight from
// TextLoader, "?" kept as a category), then ask whether its latent features are worth having: the same classifier
// predicts income > 50K from the latent means, from PCA components of the same size, and from all raw features
// (one-hot categories and standardised numbers), scored on the real test file. Also lists the test rows the
// autoencoder finds most unusual.
//
//   dotnet run -c Release --project examples/Adult [-- <adult folder>] [--train-rows N] [--epochs N] [--latent N]
//       [--top N] [--out folder] [--standardize]
//
// Two classifiers on each feature set: LightGBM (trees, indifferent to the features' scale) and SDCA logistic
// regression (linear: it uses what a linear function of the features can tell).
//
// The folder defaults to ../shared/data/adult beside the repository root.
// Expected output (all 32,561 training rows, 5 epochs; figures vary a little by machine):
//                                 LightGBM          SDCA
//   features              size     AUC      F1     AUC      F1
//   VAE latent mean          8   0.901   0.644   0.886   0.632
//   PCA                      8   0.884   0.629   0.870   0.574
//   raw (one-hot + std)    108   0.927   0.712   0.902   0.656
//   ...
//   adult: vae-auc=0.901 vae-f1=0.644 pca-auc=0.884 pca-f1=0.629 raw-auc=0.927 raw-f1=0.712 vae-sdca-auc=0.886 ... top-score=75.39
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

ExampleArgs options;
string folder, output;
bool standardize;
int? trainRows;
int epochs, latentSize, top;
try
{
    options = ExampleArgs.Parse(args, "--standardize");
    (folder, trainRows) = AdultData.Arguments(options);
    epochs = options.Int("--epochs", 5);
    latentSize = options.Int("--latent", 8);
    top = options.Int("--top", 5, minimum: 0);
    output = options.String("--out", ".");
    standardize = options.Flag("--standardize");
    options.RejectUnknown();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\nusage: Adult [adult folder] [--train-rows N] [--epochs N] [--latent N] [--top N] [--out folder] [--standardize]");
    return 2;
}

if (!AdultData.FolderExists(folder))
{
    return 2;
}

Directory.CreateDirectory(output);
var ml = new MLContext(seed: 1);
var (train, test) = AdultData.Load(ml, folder, trainRows);
var trainCount = train.GetColumn<bool>(AdultData.LabelColumn).Count();
Console.WriteLine($"Adult from {folder}: {trainCount} training rows, 14 columns (6 numeric, 8 text categories), {epochs} epochs, latent size {latentSize}");

var vae = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
{
    OutputColumnName = "Latent",
    Columns = AdultData.FeatureColumns.Select(c => new VaeColumn(c)).ToList(),
    LatentDimension = latentSize,
    Epochs = epochs,
    BatchSize = 256,
    ScoreColumnName = "AnomalyScore",
    Progress = new Progress(),
    // Numbers with point masses or clear modes are mode-specific unless --standardize says otherwise.
    NumericEncoding = standardize ? VaeNumericEncoding.Standardize : VaeNumericEncoding.Auto,
});
var started = DateTime.UtcNow;
var model = vae.Fit(train);
var last = model.TrainingHistory[^1];
Console.WriteLine($"fitted in {(DateTime.UtcNow - started).TotalSeconds:F0} s; last epoch: reconstruction {last.Reconstruction:F3}, KL {last.Kl:F3}, active units {last.ActiveUnits} of {latentSize}");
Console.WriteLine("reconstruction per column: " + string.Join(", ", last.ReconstructionByColumn.Select(kv => $"{kv.Key} {kv.Value:F3}")));

// Three feature sets for the same classifier; every feature transform is fitted on the training rows only.
var raw = ml.Transforms.Categorical.OneHotEncoding(AdultData.CategoricalColumns.Select(c => new InputOutputColumnPair(c + "OneHot", c)).ToArray())
    .Append(ml.Transforms.Concatenate("Raw", AdultData.NumericColumns.Concat(AdultData.CategoricalColumns.Select(c => c + "OneHot")).ToArray()))
    .Append(ml.Transforms.NormalizeMeanVariance("Raw"));
var rawModel = raw.Fit(train);
var rawSize = ((VectorDataViewType)rawModel.GetOutputSchema(train.Schema)["Raw"].Type).Size;
var pcaModel = raw.Append(ml.Transforms.ProjectToPrincipalComponents("Pca", "Raw", rank: latentSize, seed: 1)).Fit(train);

var sets = new (string Name, int Size, ITransformer Features, string Column)[]
{
    ("VAE latent mean", latentSize, model, "Latent"),
    ("PCA", latentSize, pcaModel, "Pca"),
    ("raw (one-hot + std)", rawSize, rawModel, "Raw"),
};
var rows = sets.Select(set =>
{
    var (metrics, roc) = Evaluate(set.Features, set.Column, linear: false);
    var (linear, _) = Evaluate(set.Features, set.Column, linear: true);
    return (set.Name, set.Size, Metrics: metrics, Roc: roc, Linear: linear);
}).ToArray();

Console.WriteLine();
Console.WriteLine("Predicting income > 50K on the test file:");
Console.WriteLine("                                LightGBM          SDCA");
Console.WriteLine("features              size     AUC      F1     AUC      F1");
foreach (var row in rows)
{
    Console.WriteLine($"{row.Name,-20} {row.Size,5} {row.Metrics.AreaUnderRocCurve,7:F3} {row.Metrics.F1Score,7:F3} {row.Linear.AreaUnderRocCurve,7:F3} {row.Linear.F1Score,7:F3}");
}

// The most unusual test rows: highest negative ELBO (reconstruction of every column plus KL).
var scored = ml.Data.CreateEnumerable<ScoredAdultRow>(model.Transform(test), reuseRowObject: false).ToArray();
Console.WriteLine();
Console.WriteLine($"Highest anomaly scores among {scored.Length} test rows (median {Median(scored.Select(r => r.AnomalyScore)):F2}):");
foreach (var row in scored.OrderByDescending(r => r.AnomalyScore).Take(top))
{
    Console.WriteLine($"  {row.AnomalyScore,8:F2}  {row}");
}

var withMissing = scored.Where(r => r.Workclass == "?" || r.Occupation == "?" || r.NativeCountry == "?").Select(r => r.AnomalyScore).ToArray();
var complete = scored.Where(r => r.Workclass != "?" && r.Occupation != "?" && r.NativeCountry != "?").Select(r => r.AnomalyScore).ToArray();
Console.WriteLine($"median score: rows with a \"?\" {Median(withMissing):F2} ({withMissing.Length} rows), complete rows {Median(complete):F2}");

var rocPath = Path.Combine(output, "adult-roc.png");
var scatterPath = Path.Combine(output, "adult-latent.png");
Plots.Roc(rows.Select(r => (r.Name, r.Metrics.AreaUnderRocCurve, r.Roc.Fpr, r.Roc.Tpr)).ToArray(), "lightgbm", rocPath);
Plots.Latent(scored, scatterPath);
Console.WriteLine($"wrote {rocPath} and {scatterPath}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"adult: vae-auc={rows[0].Metrics.AreaUnderRocCurve:F3} vae-f1={rows[0].Metrics.F1Score:F3} pca-auc={rows[1].Metrics.AreaUnderRocCurve:F3} pca-f1={rows[1].Metrics.F1Score:F3} raw-auc={rows[2].Metrics.AreaUnderRocCurve:F3} raw-f1={rows[2].Metrics.F1Score:F3} vae-sdca-auc={rows[0].Linear.AreaUnderRocCurve:F3} pca-sdca-auc={rows[1].Linear.AreaUnderRocCurve:F3} raw-sdca-auc={rows[2].Linear.AreaUnderRocCurve:F3} active={last.ActiveUnits} top-score={scored.Max(r => r.AnomalyScore):F2}"));
return 0;

(CalibratedBinaryClassificationMetrics Metrics, (double[] Fpr, double[] Tpr) Roc) Evaluate(ITransformer featureModel, string featureColumn, bool linear)
{
    IEstimator<ITransformer> trainer = linear
        ? ml.BinaryClassification.Trainers.SdcaLogisticRegression(AdultData.LabelColumn, featureColumn)
        : ml.BinaryClassification.Trainers.LightGbm(AdultData.LabelColumn, featureColumn);
    var classifier = trainer.Fit(featureModel.Transform(train));
    var predictions = classifier.Transform(featureModel.Transform(test));
    var metrics = ml.BinaryClassification.Evaluate(predictions, AdultData.LabelColumn);
    var labels = predictions.GetColumn<bool>(AdultData.LabelColumn).ToArray();
    var scores = predictions.GetColumn<float>("Score").ToArray();
    return (metrics, Roc.Curve(labels, scores.Select(s => (double)s).ToArray()));
}

static double Median(IEnumerable<float> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2.0;
}

/// <summary>An Adult test row with the autoencoder's outputs.</summary>
internal sealed class ScoredAdultRow : AdultRow
{
    public float[] Latent { get; set; } = [];

    public float AnomalyScore { get; set; }
}

/// <summary>Prints one line per epoch.</summary>
internal sealed class Progress : IProgress<VaeEpochResult>
{
    public void Report(VaeEpochResult value) => Console.WriteLine($"  {value}");
}

/// <summary>The example's pictures.</summary>
internal static class Plots
{
    public static void Roc(IReadOnlyList<(string Name, double Auc, double[] Fpr, double[] Tpr)> curves, string classifier, string path)
    {
        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < curves.Count; i++)
        {
            var line = plot.Add.Scatter(curves[i].Fpr, curves[i].Tpr, palette.GetColor(i));
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = $"{curves[i].Name}: AUC {curves[i].Auc:F3}";
        }

        plot.Title($"Adult test file: income > 50K, {classifier} on each feature set");
        plot.XLabel("false positive rate");
        plot.YLabel("true positive rate");
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 700, 600);
    }

    /// <summary>The test rows on the two latent dimensions that vary most, coloured by income.</summary>
    public static void Latent(IReadOnlyList<ScoredAdultRow> rows, string path)
    {
        var size = rows[0].Latent.Length;
        var spread = Enumerable.Range(0, size).Select(d =>
        {
            var mean = rows.Average(r => r.Latent[d]);
            return rows.Average(r => (r.Latent[d] - mean) * (r.Latent[d] - mean));
        }).ToArray();
        var dims = Enumerable.Range(0, size).OrderByDescending(d => spread[d]).Take(2).ToArray();
        var (dx, dy) = (dims[0], dims.Length > 1 ? dims[1] : dims[0]);

        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (income, color) in new[] { ("<=50K", palette.GetColor(0)), (">50K", palette.GetColor(1)) })
        {
            var group = rows.Where(r => r.Income.TrimEnd('.') == income).ToArray();
            var points = plot.Add.ScatterPoints(group.Select(r => (double)r.Latent[dx]).ToArray(), group.Select(r => (double)r.Latent[dy]).ToArray(), color.WithAlpha(0.5));
            points.MarkerSize = 2;
            points.LegendText = $"income {income}";
        }

        plot.Title("Adult test rows: latent means on the two widest dimensions");
        plot.XLabel($"z{dx}");
        plot.YLabel($"z{dy}");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 700, 600);
    }
}
