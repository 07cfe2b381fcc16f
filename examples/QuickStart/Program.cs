// Quick start: fit a variational autoencoder on a mixed table inside an ML.NET pipeline, look at what it learned,
// and check whether its latent features recover the table's hidden structure better than PCA or the raw columns.
//
//   dotnet run -c Release --project examples/QuickStart [-- --out <folder>] [--epochs N] [--latent N] [--free-bits X] [--seed N]
//
// Your own table: a CSV file with a header row (comma, semicolon or tab separated). Columns whose values all parse
// as numbers are numeric, the others categorical; numeric gaps are filled with the column's mean. Name a label
// column to compare the latent features with PCA and the raw columns at predicting it (it is not given to the
// autoencoder); leave it out to skip the comparison.
//
//   dotnet run -c Release --project examples/QuickStart -- <table.csv> [--label Column] [--ignore A,B] [--out folder]
//
// Expected output (built-in table; figures vary a little by machine):
//   epoch 1: loss=... recon=... kl=... beta=1 active=2 (0.1s)
//   ...
//   quickstart: vae-accuracy=0.9x pca-accuracy=0.xx raw-accuracy=0.9x vae-lightgbm-accuracy=... (SDCA, then LightGBM)
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string? csvPath = null, labelColumn, outputFolder;
string[] ignored;
int epochs, latentSize;
double freeBits;
int? seed;
(double Vae, double Pca, double Raw) lightGbm = default;
try
{
    var options = ExampleArgs.Parse(args);
    outputFolder = options.OptionalString("--out");
    foreach (var positional in options.Positional)
    {
        // A lone folder argument is the output folder (the original command line); a file is a table to fit.
        if (File.Exists(positional) || Path.GetExtension(positional) is ".csv" or ".tsv" or ".txt")
        {
            csvPath = File.Exists(positional) ? positional : throw new ArgumentException($"table not found: {positional}");
        }
        else
        {
            outputFolder ??= positional;
        }
    }

    outputFolder ??= ".";
    labelColumn = options.OptionalString("--label");
    ignored = options.OptionalString("--ignore")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
    epochs = options.Int("--epochs", 40);
    latentSize = options.Int("--latent", 2);
    freeBits = options.Doubles("--free-bits", [VariationalAutoencoderEstimator.Defaults.FreeBits]) is [var bits] ? bits : throw new ArgumentException("option --free-bits takes one number");
    seed = options.OptionalString("--seed") is null ? null : options.Int("--seed", 0, minimum: 0);
    options.RejectUnknown();
    if (csvPath is null && (labelColumn is not null || ignored.Length > 0))
    {
        throw new ArgumentException("--label and --ignore apply to a CSV table; give its path");
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\nusage: QuickStart [table.csv [--label Column] [--ignore A,B]] [--out folder] [--epochs N] [--latent N] [--free-bits X] [--seed N]");
    return 2;
}

Directory.CreateDirectory(outputFolder);
var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("VariationalAutoencoder", StringComparison.Ordinal))
    {
        Console.WriteLine(e.RawMessage);
    }
};

return csvPath is null ? BuiltIn() : Csv(csvPath);

int BuiltIn()
{
    // A table of 3,000 people in four hidden segments: three numbers, two categories and a flag, each driven by the
    // segment with noise. The segment itself is not given to the autoencoder.
    var rows = SyntheticPeople.Generate(3000, seed: 42);
    var (trainSet, testSet) = Split(ml.Data.LoadFromEnumerable(rows));

    var vae = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
    {
        OutputColumnName = "Latent",
        Columns = ["Age", "Income", "Visits", "City", "Plan", "Newsletter"],
        LatentDimension = latentSize,
        Epochs = epochs,
        BatchSize = 128,
        FreeBits = freeBits,
        Seed = seed,
        ScoreColumnName = "AnomalyScore",
    });
    var model = vae.Fit(trainSet);
    PrintFit(model);

    var raw = ml.Transforms.Categorical.OneHotEncoding([new("CityOneHot", "City"), new("PlanOneHot", "Plan")])
        .Append(ml.Transforms.Conversion.ConvertType("NewsletterNumber", "Newsletter", DataKind.Single))
        .Append(ml.Transforms.Concatenate("Raw", "Age", "Income", "Visits", "CityOneHot", "PlanOneHot", "NewsletterNumber"))
        .Append(ml.Transforms.NormalizeMeanVariance("Raw"));
    var (vaeAccuracy, pcaAccuracy, rawAccuracy) = Compare(trainSet, testSet, model, raw, nameof(Person.Segment), "the hidden segment");

    // The most unusual test rows by anomaly score.
    var scored = model.Transform(testSet);
    var top = ml.Data.CreateEnumerable<ScoredPerson>(scored, reuseRowObject: false).OrderByDescending(p => p.AnomalyScore).Take(3);
    Console.WriteLine();
    Console.WriteLine("Highest anomaly scores among test rows:");
    foreach (var p in top)
    {
        Console.WriteLine($"  score {p.AnomalyScore,7:F2}: age {p.Age:F0}, income {p.Income:F0}, visits {p.Visits:F1}, {p.City}, {p.Plan}, newsletter {p.Newsletter}");
    }

    var latent = scored.GetColumn<float[]>("Latent").Zip(scored.GetColumn<string>(nameof(Person.Segment)), (z, s) => (z[0], z.Length > 1 ? z[1] : 0f, s)).ToArray();
    WritePlots(model, latent, "hidden segment");
    Console.WriteLine($"quickstart: vae-accuracy={vaeAccuracy:F2} pca-accuracy={pcaAccuracy:F2} raw-accuracy={rawAccuracy:F2} vae-lightgbm-accuracy={lightGbm.Vae:F2} pca-lightgbm-accuracy={lightGbm.Pca:F2} raw-lightgbm-accuracy={lightGbm.Raw:F2}");
    return 0;
}

int Csv(string path)
{
    var table = CsvTable.Infer(path);
    foreach (var name in ignored.Append(labelColumn).OfType<string>())
    {
        if (!table.Columns.Any(c => c.Name == name))
        {
            Console.Error.WriteLine($"column '{name}' is not in {path}; its columns are {string.Join(", ", table.Columns.Select(c => c.Name))}");
            return 2;
        }
    }

    // The label is read as text, so that it is a class whatever its values look like.
    var columns = table.Columns.Select(c => c with { Numeric = c.Numeric && c.Name != labelColumn }).ToArray();
    var data = ml.Data.LoadFromTextFile(path, new TextLoader.Options
    {
        Separators = [table.Separator],
        HasHeader = true,
        AllowQuoting = true,
        TrimWhitespace = true,
        Columns = columns.Select(c => new TextLoader.Column(c.Name, c.Numeric ? DataKind.Single : DataKind.String, c.Index)).ToArray(),
    });
    var features = columns.Where(c => c.Name != labelColumn && !ignored.Contains(c.Name)).ToArray();
    var numeric = features.Where(c => c.Numeric).Select(c => c.Name).ToArray();
    var text = features.Where(c => !c.Numeric).Select(c => c.Name).ToArray();
    Console.WriteLine($"{path}: {features.Length} columns ({numeric.Length} numeric: {string.Join(", ", numeric)}; {text.Length} categorical: {string.Join(", ", text)})"
        + (labelColumn is null ? string.Empty : $", label {labelColumn}"));
    if (features.Length == 0)
    {
        Console.Error.WriteLine($"{path}: no columns left to fit");
        return 2;
    }

    // The autoencoder rejects missing values: fill numeric gaps with the column mean (fitted with the rest).
    IEstimator<ITransformer> fill = numeric.Length > 0
        ? ml.Transforms.ReplaceMissingValues(numeric.Select(n => new InputOutputColumnPair(n)).ToArray())
        : new EstimatorChain<ITransformer>();
    // With a label, a quarter of the rows is held out for the comparison; without one, every row is fitted.
    var (trainSet, testSet) = labelColumn is null ? (data, data) : Split(data);
    var vae = fill.Append(ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
    {
        OutputColumnName = "Latent",
        Columns = features.Select(c => new VaeColumn(c.Name)).ToList(),
        LatentDimension = latentSize,
        Epochs = epochs,
        BatchSize = 128,
        FreeBits = freeBits,
        Seed = seed,
        ScoreColumnName = "AnomalyScore",
    }));
    var chain = vae.Fit(trainSet);
    var model = (VariationalAutoencoderTransformer)chain.LastTransformer;
    PrintFit(model);

    string summary;
    var scoredView = chain.Transform(testSet);
    if (labelColumn is not null)
    {
        var raw = fill.Append(ml.Transforms.Categorical.OneHotEncoding(text.Select(t => new InputOutputColumnPair(t + "OneHot", t)).ToArray()))
            .Append(ml.Transforms.Concatenate("Raw", numeric.Concat(text.Select(t => t + "OneHot")).ToArray()))
            .Append(ml.Transforms.NormalizeMeanVariance("Raw"));
        var (vaeAccuracy, pcaAccuracy, rawAccuracy) = Compare(trainSet, testSet, chain, raw, labelColumn, labelColumn);
        summary = $"quickstart: vae-accuracy={vaeAccuracy:F2} pca-accuracy={pcaAccuracy:F2} raw-accuracy={rawAccuracy:F2} vae-lightgbm-accuracy={lightGbm.Vae:F2} pca-lightgbm-accuracy={lightGbm.Pca:F2} raw-lightgbm-accuracy={lightGbm.Raw:F2}";
    }
    else
    {
        var last = model.TrainingHistory[^1];
        summary = $"quickstart: rows={scoredView.GetColumn<float>("AnomalyScore").Count()} recon={last.Reconstruction:F3} kl={last.Kl:F3} active={last.ActiveUnits}";
    }

    var rows = CsvTable.Rows(scoredView, features.Select(c => c.Name).ToArray(), "AnomalyScore");
    Console.WriteLine();
    Console.WriteLine($"Highest anomaly scores among {(labelColumn is null ? "all" : "test")} rows:");
    foreach (var (score, values) in rows.OrderByDescending(r => r.Score).Take(3))
    {
        Console.WriteLine($"  score {score,7:F2}: {values}");
    }

    var labels = labelColumn is null ? rows.Select(_ => "all rows") : scoredView.GetColumn<ReadOnlyMemory<char>>(labelColumn).Select(l => l.ToString());
    var latent = scoredView.GetColumn<float[]>("Latent").Zip(labels, (z, l) => (z[0], z.Length > 1 ? z[1] : 0f, l)).ToArray();
    WritePlots(model, latent, labelColumn ?? "no label");
    Console.WriteLine(summary);
    return 0;
}

(IDataView Train, IDataView Test) Split(IDataView data)
{
    var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 1);
    return (split.TrainSet, split.TestSet);
}

void PrintFit(VariationalAutoencoderTransformer model)
{
    var last = model.TrainingHistory[^1];
    Console.WriteLine();
    Console.WriteLine("Reconstruction loss per column (last epoch):");
    var width = last.ReconstructionByColumn.Keys.Max(k => k.Length);
    foreach (var (column, loss) in last.ReconstructionByColumn)
    {
        Console.WriteLine($"  {column.PadRight(width)} {loss,8:F4}");
    }

    Console.WriteLine($"KL: {last.Kl:F3} nats ({string.Join(", ", last.KlByDimension.Select(k => k.ToString("F3", CultureInfo.InvariantCulture)))} per dimension); active units: {last.ActiveUnits} of {model.LatentDimension}");
}

// Predict a class from three feature sets of the same rows with the same classifier. Each feature transformer is
// fitted on the training rows only.
// Two classifiers: SDCA (linear, the summary line's figures) and LightGBM (trees).
(double Vae, double Pca, double Raw) Compare(IDataView trainSet, IDataView testSet, ITransformer vaeModel, IEstimator<ITransformer> raw, string classColumn, string what)
{
    double Accuracy(ITransformer features, string featureColumn, bool trees)
    {
        IEstimator<ITransformer> trainer = trees
            ? ml.MulticlassClassification.Trainers.LightGbm("Label", featureColumn)
            : ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", featureColumn);
        var classifier = ml.Transforms.Conversion.MapValueToKey("Label", classColumn).Append(trainer);
        var fitted = classifier.Fit(features.Transform(trainSet));
        return ml.MulticlassClassification.Evaluate(fitted.Transform(features.Transform(testSet))).MicroAccuracy;
    }

    var rawModel = raw.Fit(trainSet);
    var rawSize = ((VectorDataViewType)rawModel.GetOutputSchema(trainSet.Schema)["Raw"].Type).Size;
    var vaeSdca = Accuracy(vaeModel, "Latent", trees: false);
    var pcaModel = raw.Append(ml.Transforms.ProjectToPrincipalComponents("Pca", "Raw", rank: latentSize, seed: 1)).Fit(trainSet);
    var sets = new (string Name, ITransformer Model, string Column)[]
    {
        ($"VAE latent mean, {latentSize} features", vaeModel, "Latent"),
        ($"PCA, {latentSize} components", pcaModel, "Pca"),
        ($"all raw columns, {rawSize} features", rawModel, "Raw"),
    };
    var sdca = new[] { vaeSdca, Accuracy(pcaModel, "Pca", trees: false), Accuracy(rawModel, "Raw", trees: false) };
    var accuracies = sets.Select((s, i) => (Sdca: sdca[i], Trees: Accuracy(s.Model, s.Column, trees: true))).ToArray();
    Console.WriteLine();
    Console.WriteLine($"Predicting {what} (test rows, accuracy):".PadRight(33) + "   SDCA  LightGBM");
    for (var i = 0; i < sets.Length; i++)
    {
        Console.WriteLine($"  {sets[i].Name}".PadRight(33) + $"{accuracies[i].Sdca,7:F3}{accuracies[i].Trees,10:F3}");
    }

    lightGbm = (accuracies[0].Trees, accuracies[1].Trees, accuracies[2].Trees);
    return (accuracies[0].Sdca, accuracies[1].Sdca, accuracies[2].Sdca);
}

void WritePlots(VariationalAutoencoderTransformer model, IReadOnlyList<(float X, float Y, string Label)> latent, string colouredBy)
{
    var training = Path.Combine(outputFolder, "training.png");
    var scatter = Path.Combine(outputFolder, "latent.png");
    Plots.Training(model.TrainingHistory, training);
    Plots.Latent(latent, colouredBy, scatter);
    Console.WriteLine($"\nwrote {training} and {scatter}");
}

/// <summary>A person of the synthetic table.</summary>
public class Person
{
    public float Age { get; set; }

    public float Income { get; set; }

    public float Visits { get; set; }

    public string City { get; set; } = string.Empty;

    public string Plan { get; set; } = string.Empty;

    public bool Newsletter { get; set; }

    public string Segment { get; set; } = string.Empty;
}

/// <summary>A person with the autoencoder's outputs.</summary>
public sealed class ScoredPerson : Person
{
    public float[] Latent { get; set; } = [];

    public float AnomalyScore { get; set; }
}

/// <summary>The built-in table: four segments, each with its own distribution of every column.</summary>
internal static class SyntheticPeople
{
    private static readonly string[] Cities = ["Lisbon", "Porto", "Braga", "Faro", "Coimbra", "Evora", "Aveiro", "Leiria"];
    private static readonly string[] Plans = ["basic", "plus", "family", "business"];

    public static List<Person> Generate(int count, int seed)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var people = new List<Person>(count);
        for (var i = 0; i < count; i++)
        {
            var segment = random.Next(4);
            // Segments overlap in every single column; only the combination tells them apart.
            people.Add(new Person
            {
                Segment = $"S{segment}",
                Age = (float)(30 + (10 * (segment % 2)) + (6 * Gaussian())),
                Income = (float)Math.Exp(10.3 + (0.35 * (segment / 2)) + (0.25 * Gaussian())),
                Visits = (float)Math.Max(0, 4 + (3 * (segment == 3 ? 1 : 0)) - (2 * (segment == 0 ? 1 : 0)) + (1.5 * Gaussian())),
                City = Cities[random.NextDouble() < 0.7 ? (2 * segment) + random.Next(2) : random.Next(Cities.Length)],
                Plan = Plans[random.NextDouble() < 0.6 ? segment : random.Next(Plans.Length)],
                Newsletter = random.NextDouble() < (segment is 1 or 2 ? 0.8 : 0.2),
            });
        }

        return people;
    }
}

/// <summary>The example's two pictures.</summary>
internal static class Plots
{
    public static void Training(IReadOnlyList<VaeEpochResult> history, string path)
    {
        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        foreach (var (label, values) in new[]
        {
            ("total loss", history.Select(h => h.Loss)),
            ("reconstruction", history.Select(h => h.Reconstruction)),
            ("KL", history.Select(h => h.Kl)),
        })
        {
            var line = plot.Add.Scatter(epochs, values.ToArray());
            line.LegendText = label;
            line.MarkerSize = 0;
            line.LineWidth = 2;
        }

        plot.Title("Training: loss parts per epoch");
        plot.XLabel("epoch");
        plot.YLabel("nats per row");
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 800, 500);
    }

    public static void Latent(IReadOnlyList<(float X, float Y, string Label)> points, string colouredBy, string path)
    {
        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var labels = points.Select(p => p.Label).Distinct().Order().ToArray();
        for (var i = 0; i < labels.Length; i++)
        {
            var group = points.Where(p => p.Label == labels[i]).ToArray();
            var scatter = plot.Add.ScatterPoints(group.Select(p => (double)p.X).ToArray(), group.Select(p => (double)p.Y).ToArray(), palette.GetColor(i));
            scatter.MarkerSize = 4;
            if (labels.Length <= 12)
            {
                scatter.LegendText = labels[i];
            }
        }

        plot.Title($"Latent means of the test rows, coloured by {colouredBy}");
        plot.XLabel("z0");
        plot.YLabel("z1");
        if (labels.Length <= 12)
        {
            plot.ShowLegend(Edge.Right);
        }

        plot.SavePng(path, 800, 600);
    }
}
