// The KL weight's effect on a 2-D latent space: MNIST, MLP 784-512-2, reconstruction = 784 x binary cross-entropy,
// batch 128, KL weight in {0, 0.02, 0.1, 0.5, 1, 2, 10, 20}. For each weight: a scatter of the test set's latent
// means coloured by digit and a 30 x 30 manifold decoded over [-3, 3]^2; then one combined grid and a table of the
// test set's reconstruction, KL, active units and negative ELBO.
//
//   dotnet run -c Release --project examples/KlSweep -- [mnist folder] [--epochs N] [--train-rows N] [--test-rows N]
//       [--betas 0,0.02,...] [--schedule constant|linear|sigmoid|cyclical] [--beta-norm] [--out folder]
//
// The folder defaults to ../shared/data/mnist beside the repository root. --beta-norm scales each weight by
// latent size / input width (2 / 784); --schedule anneals the weight from 0 over the first quarter of the epochs
// (cyclical: 4 cycles, each ramping up over its first half). Test figures are per image, in nats, at the posterior
// mean: negative ELBO = reconstruction + KL. A unit is active when the variance of its mean over the test images
// exceeds 0.01.
//
// Expected output (--epochs 5 --train-rows 10000; figures vary a little by machine):
//   beta     weight   train-recon   train-kl   test-recon   test-kl   active   test-neg-elbo   seconds
//   0             0        160.65     23.291       161.37    23.657        2          185.03      ...
//   1             1        161.69      5.320       161.06     5.396        2          166.45      ...
//   20           20        196.50      0.401       189.44     0.444        2          189.88      ...
//   klsweep: betas=8 epochs=5 train-rows=10000 schedule=Constant beta-norm=False best-beta=2 best-neg-elbo=164.82
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using SkiaSharp;
using Vae.MLNet;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

string folder, output;
int epochs, trainRows, testRows;
double[] weights;
VaeKlSchedule schedule;
bool betaNorm;
try
{
    var options = ExampleArgs.Parse(args, "--beta-norm");
    folder = options.Positional.Count > 0 ? options.Positional[0] : SharedData.Folder("mnist");
    epochs = options.Int("--epochs", 40);
    trainRows = options.Int("--train-rows", 60000, minimum: 128);
    testRows = options.Int("--test-rows", 10000, minimum: 10);
    weights = options.Doubles("--betas", [0, 0.02, 0.1, 0.5, 1, 2, 10, 20]);
    var scheduleName = options.String("--schedule", "constant");
    schedule = scheduleName switch
    {
        "constant" => VaeKlSchedule.Constant,
        "linear" => VaeKlSchedule.LinearWarmup,
        "sigmoid" => VaeKlSchedule.Sigmoid,
        "cyclical" => VaeKlSchedule.Cyclical,
        _ => throw new ArgumentException($"option --schedule: '{scheduleName}' is not constant, linear, sigmoid or cyclical"),
    };
    betaNorm = options.Flag("--beta-norm");
    output = options.String("--out", "kl-sweep");
    options.RejectUnknown();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}\nusage: KlSweep [mnist folder] [--epochs N] [--train-rows N] [--test-rows N] [--betas 0,0.02,...] [--schedule constant|linear|sigmoid|cyclical] [--beta-norm] [--out folder]");
    return 2;
}

if (!Directory.Exists(folder))
{
    Console.Error.WriteLine($"MNIST folder not found: {folder} (expected the four *-ubyte.gz IDX files)");
    return 2;
}

Directory.CreateDirectory(output);
var ml = new MLContext(seed: 1);
var train = ml.Data.LoadFromEnumerable(Mnist.Read(folder, "train", trainRows).ToList());
var test = ml.Data.LoadFromEnumerable(Mnist.Read(folder, "t10k", testRows).ToList());
var testLabels = test.GetColumn<int>(nameof(Digit.Label)).ToArray();
var trainCount = train.GetColumn<int>(nameof(Digit.Label)).Count();

// The 30 x 30 grid of latent points to decode, row by row from the top left (-3, 3).
var grid = new List<float[]>();
for (var row = 0; row < 30; row++)
{
    for (var column = 0; column < 30; column++)
    {
        grid.Add([(float)(-3 + (6.0 * column / 29)), (float)(3 - (6.0 * row / 29))]);
    }
}

var panels = new List<(double Beta, float[][] Latent, byte[] Manifold)>();
var table = new List<string>();
var results = new List<(double Beta, double NegElbo)>();
Console.WriteLine($"MNIST: {trainCount} training rows, {testLabels.Length} test rows, {epochs} epochs, schedule {schedule}{(betaNorm ? ", beta_norm" : string.Empty)}");
const string Header = "beta     weight   train-recon   train-kl   test-recon   test-kl   active   test-neg-elbo   seconds";
Console.WriteLine(Header);
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
        ReconstructionErrorColumnName = "Reconstruction",
    }).Fit(train);

    var scored = model.Transform(test);
    var latent = scored.GetColumn<float[]>("Latent").ToArray();
    var negElbo = scored.GetColumn<float>("NegElbo").Average(x => (double)x);
    var reconstruction = scored.GetColumn<float>("Reconstruction").Average(x => (double)x);
    var active = Enumerable.Range(0, 2).Count(d =>
    {
        var mean = latent.Average(z => (double)z[d]);
        return latent.Average(z => (z[d] - mean) * (z[d] - mean)) > 0.01;
    });
    var last = model.TrainingHistory[^1];
    var line = $"{beta,-6} {last.Beta,8:G3} {last.Reconstruction,13:F2} {last.Kl,10:F3} {reconstruction,12:F2} {negElbo - reconstruction,9:F3} {active,8} {negElbo,15:F2} {last.Elapsed.TotalSeconds,9:F1}";
    Console.WriteLine(line);
    table.Add(line);
    results.Add((beta, negElbo));

    var tiles = model.Decode(grid).GetColumn<float[]>(nameof(Digit.Pixels)).ToArray();
    var manifold = Images.Manifold(tiles);
    Images.SaveGray(manifold, 840, Path.Combine(output, $"manifold-beta-{beta}.png"));
    Images.Scatter(latent, testLabels, $"KL weight {beta}", Path.Combine(output, $"latent-beta-{beta}.png"));
    panels.Add((beta, latent, manifold));
}

Images.Grid(panels, testLabels, $"epochs {epochs}, training rows {trainCount}, schedule {schedule}{(betaNorm ? ", beta_norm" : string.Empty)}", Path.Combine(output, "kl-sweep-grid.png"));
File.WriteAllLines(Path.Combine(output, "kl-sweep-table.txt"), [$"MNIST: {trainCount} training rows, {testLabels.Length} test rows, {epochs} epochs, schedule {schedule}{(betaNorm ? ", beta_norm" : string.Empty)}", Header, .. table]);
Console.WriteLine($"wrote {(weights.Length * 2) + 1} images and kl-sweep-table.txt to {output}");
var best = results.MinBy(r => r.NegElbo);
Console.WriteLine($"klsweep: betas={weights.Length} epochs={epochs} train-rows={trainCount} schedule={schedule} beta-norm={betaNorm} best-beta={best.Beta} best-neg-elbo={best.NegElbo:F2}");
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

    /// <summary>All weights in one image under a caption: per band of four weights, their scatters on top and their
    /// manifolds below.</summary>
    public static void Grid(List<(double Beta, float[][] Latent, byte[] Manifold)> panels, int[] labels, string caption, string path)
    {
        Fonts.Default = "DejaVu Sans";
        const int Cell = 420, Top = 76;
        var columns = Math.Min(4, panels.Count);
        var bands = (panels.Count + columns - 1) / columns;
        using var surface = SKSurface.Create(new SKImageInfo(columns * Cell, Top + (bands * 2 * Cell)));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using (var font = new SKFont(SKTypeface.FromFamilyName("DejaVu Sans", SKFontStyle.Bold), 22))
        using (var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            var title = $"MNIST, 2-D latent space per KL weight ({caption})";
            while (font.Size > 8 && font.MeasureText(title) > (columns * Cell) - 20)
            {
                font.Size--;
            }

            canvas.DrawText(title, columns * Cell / 2f, 30, SKTextAlign.Center, font, ink);

            // The digits' colours, shared by every scatter.
            var palette = new ScottPlot.Palettes.Category10();
            font.Size = 16;
            font.Typeface = SKTypeface.FromFamilyName("DejaVu Sans");
            var left = (columns * Cell / 2f) - 190;
            canvas.DrawText("digit", left, 62, SKTextAlign.Left, font, ink);
            for (var digit = 0; digit < 10; digit++)
            {
                var color = palette.GetColor(digit);
                using var swatch = new SKPaint { Color = new SKColor(color.R, color.G, color.B), IsAntialias = true };
                canvas.DrawCircle(left + 62 + (digit * 32), 56, 6, swatch);
                canvas.DrawText(digit.ToString(CultureInfo.InvariantCulture), left + 71 + (digit * 32), 62, SKTextAlign.Left, font, ink);
            }
        }

        for (var i = 0; i < panels.Count; i++)
        {
            var (x, y) = (i % columns * Cell, Top + (i / columns * 2 * Cell));
            var plot = new Plot();
            FillScatter(plot, panels[i].Latent, labels, legend: false);
            plot.Title($"KL weight {panels[i].Beta}", size: 14);
            using (var scatter = SKBitmap.Decode(plot.GetImageBytes(Cell, Cell, ImageFormat.Png)))
            {
                canvas.DrawBitmap(scatter, x, y);
            }

            using var manifold = new SKBitmap(new SKImageInfo(840, 840, SKColorType.Gray8, SKAlphaType.Opaque));
            System.Runtime.InteropServices.Marshal.Copy(panels[i].Manifold, 0, manifold.GetPixels(), panels[i].Manifold.Length);
            using var smooth = new SKPaint { IsAntialias = true };
            canvas.DrawImage(SKImage.FromBitmap(manifold), new SKRect(x + 10, y + Cell + 10, x + Cell - 10, y + (2 * Cell) - 10), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), smooth);
        }

        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
