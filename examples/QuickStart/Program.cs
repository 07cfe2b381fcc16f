// Quick start: fit a variational autoencoder on a mixed table inside an ML.NET pipeline, look at what it learned,
// and check whether its latent features recover the table's hidden structure better than PCA or the raw columns.
//
//   dotnet run -c Release --project examples/QuickStart [-- <output folder>]
//
// Expected output (figures vary a little by machine):
//   epoch 1: loss=... recon=... kl=... beta=1 active=2 (0.1s)
//   ...
//   quickstart: vae-accuracy=0.9x pca-accuracy=0.xx raw-accuracy=0.9x
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var outputFolder = args.Length > 0 ? args[0] : ".";
Directory.CreateDirectory(outputFolder);

var ml = new MLContext(seed: 1);
ml.Log += (_, e) =>
{
    if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info && e.Source.StartsWith("VariationalAutoencoder", StringComparison.Ordinal))
    {
        Console.WriteLine(e.RawMessage);
    }
};

// A table of 3,000 people in four hidden segments: three numbers, two categories and a flag, each driven by the
// segment with noise. The segment itself is not given to the autoencoder.
var rows = SyntheticPeople.Generate(3000, seed: 42);
var split = ml.Data.TrainTestSplit(ml.Data.LoadFromEnumerable(rows), testFraction: 0.25, seed: 1);

var vae = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
{
    OutputColumnName = "Latent",
    Columns = ["Age", "Income", "Visits", "City", "Plan", "Newsletter"],
    LatentDimension = 2,
    Epochs = 40,
    BatchSize = 128,
    ScoreColumnName = "AnomalyScore",
});
var model = vae.Fit(split.TrainSet);

var last = model.TrainingHistory[^1];
Console.WriteLine();
Console.WriteLine("Reconstruction loss per column (last epoch):");
foreach (var (column, loss) in last.ReconstructionByColumn)
{
    Console.WriteLine($"  {column,-11} {loss,8:F4}");
}

Console.WriteLine($"KL: {last.Kl:F3} nats ({string.Join(", ", last.KlByDimension.Select(k => k.ToString("F3")))} per dimension); active units: {last.ActiveUnits} of {model.LatentDimension}");

// Predict the hidden segment from three feature sets of the same rows with the same classifier. Each feature
// transformer is fitted on the training rows only.
double Accuracy(ITransformer features, string featureColumn)
{
    var classifier = ml.Transforms.Conversion.MapValueToKey("Label", nameof(Person.Segment))
        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", featureColumn));
    var train = features.Transform(split.TrainSet);
    var fitted = classifier.Fit(train);
    return ml.MulticlassClassification.Evaluate(fitted.Transform(features.Transform(split.TestSet))).MicroAccuracy;
}

var raw = ml.Transforms.Categorical.OneHotEncoding([new("CityOneHot", "City"), new("PlanOneHot", "Plan")])
    .Append(ml.Transforms.Conversion.ConvertType("NewsletterNumber", "Newsletter", DataKind.Single))
    .Append(ml.Transforms.Concatenate("Raw", "Age", "Income", "Visits", "CityOneHot", "PlanOneHot", "NewsletterNumber"))
    .Append(ml.Transforms.NormalizeMeanVariance("Raw"));
var vaeAccuracy = Accuracy(model, "Latent");
var pcaAccuracy = Accuracy(raw.Append(ml.Transforms.ProjectToPrincipalComponents("Pca", "Raw", rank: 2, seed: 1)).Fit(split.TrainSet), "Pca");
var rawAccuracy = Accuracy(raw.Fit(split.TrainSet), "Raw");
Console.WriteLine();
Console.WriteLine("Predicting the hidden segment (test rows, SDCA):");
Console.WriteLine($"  VAE latent mean, 2 features  {vaeAccuracy:F3}");
Console.WriteLine($"  PCA, 2 components            {pcaAccuracy:F3}");
Console.WriteLine($"  all raw columns, 13 features  {rawAccuracy:F3}");

// The most unusual test rows by anomaly score.
var scored = model.Transform(split.TestSet);
var top = ml.Data.CreateEnumerable<ScoredPerson>(scored, reuseRowObject: false).OrderByDescending(p => p.AnomalyScore).Take(3);
Console.WriteLine();
Console.WriteLine("Highest anomaly scores among test rows:");
foreach (var p in top)
{
    Console.WriteLine($"  score {p.AnomalyScore,7:F2}: age {p.Age:F0}, income {p.Income:F0}, visits {p.Visits:F1}, {p.City}, {p.Plan}, newsletter {p.Newsletter}");
}

Plots.Training(model.TrainingHistory, Path.Combine(outputFolder, "training.png"));
var latent = ml.Data.CreateEnumerable<ScoredPerson>(scored, reuseRowObject: false).ToArray();
Plots.Latent(latent.Select(p => (p.Latent[0], p.Latent[1], p.Segment)).ToArray(), Path.Combine(outputFolder, "latent.png"));
Console.WriteLine($"\nwrote {Path.Combine(outputFolder, "training.png")} and {Path.Combine(outputFolder, "latent.png")}");
Console.WriteLine($"quickstart: vae-accuracy={vaeAccuracy:F2} pca-accuracy={pcaAccuracy:F2} raw-accuracy={rawAccuracy:F2}");

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
    [VectorType(2)]
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

    public static void Latent(IReadOnlyList<(float X, float Y, string Label)> points, string path)
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
            scatter.LegendText = labels[i];
        }

        plot.Title("Latent means of the test rows, coloured by hidden segment");
        plot.XLabel("z0");
        plot.YLabel("z1");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 800, 600);
    }
}
