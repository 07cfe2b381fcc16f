// The KL weight's effect on a 2-D latent space: MNIST, MLP 784-512-2, reconstruction = 784 x binary cross-entropy,
// batch 128, KL weight in {0, 0.02, 0.1, 0.5, 1, 2, 10, 20}. For each weight: a scatter of the test set's latent
// means coloured by digit and a 30 x 30 manifold decoded over [-3, 3]^2; then one combined grid and a table.
//
//   dotnet run -c Release --project examples/KlSweep -- <mnist folder> [--epochs N] [--train-rows N]
//       [--schedule constant|linear|sigmoid|cyclical] [--beta-norm] [--out folder]
//
// Expected output (40 epochs; figures vary a little by machine):
//   beta      recon       kl   active   test-neg-elbo
//   0         ...
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using SkiaSharp;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (args.Length == 0 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: KlSweep <mnist folder with the four *-ubyte.gz files> [--epochs N] [--train-rows N] [--schedule constant|linear|sigmoid|cyclical] [--beta-norm] [--out folder]");
    return 2;
}

string Option(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

var epochs = int.Parse(Option("--epochs", "40"), CultureInfo.InvariantCulture);
var trainRows = int.Parse(Option("--train-rows", "60000"), CultureInfo.InvariantCulture);
var schedule = Option("--schedule", "constant") switch
{
    "linear" => VaeKlSchedule.LinearWarmup,
    "sigmoid" => VaeKlSchedule.Sigmoid,
    "cyclical" => VaeKlSchedule.Cyclical,
    _ => VaeKlSchedule.Constant,
};
var betaNorm = args.Contains("--beta-norm");
var output = Option("--out", "kl-sweep");
Directory.CreateDirectory(output);

var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(Mnist.Read(args[0], "train", trainRows));
var test = ml.Data.LoadFromEnumerable(Mnist.Read(args[0], "t10k", int.MaxValue));
var testLabels = test.GetColumn<int>(nameof(Digit.Label)).ToArray();

double[] weights = [0, 0.02, 0.1, 0.5, 1, 2, 10, 20];
var panels = new List<(double Beta, float[][] Latent, byte[] Manifold)>();
Console.WriteLine($"MNIST {trainRows} training rows, {epochs} epochs, schedule {schedule}{(betaNorm ? ", beta_norm" : string.Empty)}");
Console.WriteLine("beta      recon       kl   active   test-neg-elbo   seconds");
foreach (var beta in weights)
{
    var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
    {
        Columns = [new VaeColumn(nameof(Digit.Pixels), VaeColumnKind.Binary)],
        LatentDimension = 2,
        HiddenLayers = [512],
        BatchSize = 128,
        Epochs = epochs,
        Beta = beta,
        NormalizeBeta = betaNorm,
        KlSchedule = schedule,
        AnnealingEpochs = Math.Max(1, epochs / 4.0),
        WeightDecay = 0,
        ScoreColumnName = "NegElbo",
    }).Fit(train);

    var scored = model.Transform(test);
    var latent = scored.GetColumn<float[]>("Latent").ToArray();
    var negElbo = scored.GetColumn<float>("NegElbo").Average();
    var last = model.TrainingHistory[^1];
    Console.WriteLine($"{beta,-6} {last.Reconstruction,8:F2} {last.Kl,8:F3} {last.ActiveUnits,8} {negElbo,15:F2} {last.Elapsed.TotalSeconds,9:F1}");

    var grid = new List<float[]>();
    for (var row = 0; row < 30; row++)
    {
        for (var column = 0; column < 30; column++)
        {
            grid.Add([(float)(-3 + (6.0 * column / 29)), (float)(3 - (6.0 * row / 29))]);
        }
    }

    var tiles = model.Decode(grid).GetColumn<float[]>(nameof(Digit.Pixels)).ToArray();
    var manifold = Images.Manifold(tiles);
    Images.SaveGray(manifold, 840, Path.Combine(output, $"manifold-beta-{beta}.png"));
    Images.Scatter(latent, testLabels, $"KL weight {beta}", Path.Combine(output, $"latent-beta-{beta}.png"));
    panels.Add((beta, latent, manifold));
}

Images.Grid(panels, testLabels, Path.Combine(output, "kl-sweep-grid.png"));
Console.WriteLine($"wrote {weights.Length * 2 + 1} images to {output}");
return 0;

/// <summary>One MNIST image: 784 pixels scaled to [0, 1] and its digit.</summary>
public sealed class Digit
{
    [VectorType(784)]
    public float[] Pixels { get; set; } = [];

    public int Label { get; set; }
}

/// <summary>Reads MNIST's gzip-compressed IDX files.</summary>
internal static class Mnist
{
    public static IEnumerable<Digit> Read(string folder, string prefix, int limit)
    {
        var images = ReadIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz"), 0x803, out var count, out var size);
        var labels = ReadIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz"), 0x801, out var labelCount, out _);
        if (count != labelCount || size != 784)
        {
            throw new InvalidDataException($"{prefix}: {count} images of {size} pixels but {labelCount} labels");
        }

        for (var i = 0; i < Math.Min(count, limit); i++)
        {
            var pixels = new float[784];
            for (var p = 0; p < 784; p++)
            {
                pixels[p] = images[(i * 784) + p] / 255f;
            }

            yield return new Digit { Pixels = pixels, Label = labels[i] };
        }
    }

    private static byte[] ReadIdx(string path, int magic, out int count, out int itemSize)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        int Int(int offset) => (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
        if (Int(0) != magic)
        {
            throw new InvalidDataException($"{path}: magic {Int(0):x} is not {magic:x}");
        }

        count = Int(4);
        var dimensions = magic & 0xff;
        itemSize = 1;
        for (var d = 1; d < dimensions; d++)
        {
            itemSize *= Int(4 + (4 * d));
        }

        return bytes[(4 + (4 * dimensions))..];
    }
}

/// <summary>The sweep's pictures.</summary>
internal static class Images
{
    public static byte[] Manifold(float[][] tiles)
    {
        var pixels = new byte[840 * 840];
        for (var t = 0; t < tiles.Length; t++)
        {
            var (row, column) = (t / 30, t % 30);
            for (var y = 0; y < 28; y++)
            {
                for (var x = 0; x < 28; x++)
                {
                    pixels[(((row * 28) + y) * 840) + (column * 28) + x] = (byte)Math.Round(255 * Math.Clamp(tiles[t][(y * 28) + x], 0, 1));
                }
            }
        }

        return pixels;
    }

    public static void SaveGray(byte[] pixels, int size, string path)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Gray8, SKAlphaType.Opaque));
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    private static void FillScatter(Plot plot, float[][] latent, int[] labels, bool legend)
    {
        var palette = new ScottPlot.Palettes.Category10();
        for (var digit = 0; digit < 10; digit++)
        {
            var index = Enumerable.Range(0, labels.Length).Where(i => labels[i] == digit).ToArray();
            var points = plot.Add.ScatterPoints(index.Select(i => (double)latent[i][0]).ToArray(), index.Select(i => (double)latent[i][1]).ToArray(), palette.GetColor(digit));
            points.MarkerSize = 2;
            if (legend)
            {
                points.LegendText = digit.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    public static void Scatter(float[][] latent, int[] labels, string title, string path)
    {
        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        FillScatter(plot, latent, labels, legend: true);
        plot.Title(title);
        plot.XLabel("z0");
        plot.YLabel("z1");
        plot.ShowLegend(Edge.Right);
        plot.SavePng(path, 700, 600);
    }

    /// <summary>Two rows per KL weight group: scatters on top, manifolds below, four weights per band.</summary>
    public static void Grid(List<(double Beta, float[][] Latent, byte[] Manifold)> panels, int[] labels, string path)
    {
        Fonts.Default = "DejaVu Sans";
        const int Cell = 420;
        var columns = 4;
        var bands = (panels.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * Cell, bands * 2 * Cell));
        surface.Canvas.Clear(SKColors.White);
        for (var i = 0; i < panels.Count; i++)
        {
            var (x, band) = (i % columns * Cell, i / columns);
            var plot = new Plot();
            FillScatter(plot, panels[i].Latent, labels, legend: false);
            plot.Title($"KL weight {panels[i].Beta}", size: 14);
            using (var scatter = SKBitmap.Decode(plot.GetImageBytes(Cell, Cell, ImageFormat.Png)))
            {
                surface.Canvas.DrawBitmap(scatter, x, band * 2 * Cell);
            }

            using var manifold = new SKBitmap(new SKImageInfo(840, 840, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(panels[i].Manifold, 0, manifold.GetPixels(), panels[i].Manifold.Length);
            surface.Canvas.DrawBitmap(manifold, new SKRect(x + 10, (band * 2 * Cell) + Cell + 10, x + Cell - 10, (band * 2 * Cell) + (2 * Cell) - 10));
        }

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
