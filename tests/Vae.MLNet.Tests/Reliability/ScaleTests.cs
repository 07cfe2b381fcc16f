using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Wide inputs: a categorical column of 10,000 categories and a table of 1,000 columns train, transform
/// and save; the memory they take is printed and bounded.</summary>
[Collection(SerialCollection.Name)]
public sealed class ScaleTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("vae-mlnet-scale-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AKeyColumnOfTenThousandCategoriesTrainsTransformsAndSaves()
    {
        const int Rows = 1000, Categories = 10_000;
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, Rows).Select(i => new WideKeyRow { X = i % 7, Product = (uint)random.Next(Categories) }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = new VariationalAutoencoderOptions
        {
            Columns = ["X", "Product"],
            LatentDimension = 4,
            HiddenLayers = [64],
            Epochs = 1,
            BatchSize = 128,
            ScoreColumnName = "Score",
        };

        var (managed, workingSet) = LeakTests.Memory();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        var fitTime = clock.Elapsed;
        var fitAllocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var workingSetAfterFit = Process.GetCurrentProcess().WorkingSet64;
        var (managedKept, _) = LeakTests.Memory();

        Assert.Equal(Categories, model.Columns[1].Width);
        Assert.Equal(model.Columns[0].Width + Categories, model.Weights.InputWidth);
        var transformed = model.Transform(data);
        Assert.All(RowReader.Scalars(transformed, "Score"), v => Assert.True(float.IsFinite(v)));
        var path = Path.Combine(_directory, "wide.zip");
        ml.Model.Save(model, data.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        Assert.Equal(RowReader.Vectors(transformed, "Latent"), RowReader.Vectors(loaded.Transform(data), "Latent"));

        var parameters = ParameterCount(model);
        output.WriteLine(
            $"{Categories:N0} categories, {Rows:N0} rows: encoded width {model.Weights.InputWidth:N0}, {parameters:N0} parameters, " +
            $"fit {fitTime.TotalSeconds:F1} s, managed allocation during fit {LeakTests.Mb(fitAllocated)} MB, " +
            $"managed heap {LeakTests.Mb(managed)} -> {LeakTests.Mb(managedKept)} MB kept, working set {LeakTests.Mb(workingSet)} -> {LeakTests.Mb(workingSetAfterFit)} MB, " +
            $"model file {new FileInfo(path).Length / 1024:N0} KB");

        // The encoded matrix (rows x width floats, 40 MB here) is the only allocation of that order: nothing may copy
        // it per epoch or per batch. The model kept afterwards is its weights (1.3 M floats) and the category names.
        var matrix = (long)Rows * (Categories + 1) * sizeof(float);
        Assert.InRange(fitAllocated, 0, (3 * matrix) + (64L << 20));
        Assert.InRange(managedKept - managed, 0, (parameters * sizeof(float)) + (4L << 20));
        // Native memory: the matrix's tensor copy and per-batch activations of 128 x 10,001 floats that the allocator
        // keeps for reuse.
        Assert.InRange(workingSetAfterFit - workingSet, long.MinValue, 16 * matrix);
    }

    [Fact]
    public void ATableOfOneThousandColumnsOfEveryKindTrainsAndTransforms()
    {
        const int Numeric = 700, Text = 200, Flags = 100, Rows = 200;
        var path = Path.Combine(_directory, "wide.csv");
        var random = new Random(5);
        using (var writer = new StreamWriter(path))
        {
            for (var r = 0; r < Rows; r++)
            {
                var cluster = r % 3;
                var fields = Enumerable.Range(0, Numeric).Select(i => (cluster + (0.1 * i) + random.NextDouble()).ToString("R", CultureInfo.InvariantCulture))
                    .Concat(Enumerable.Range(0, Text).Select(i => $"c{(cluster + random.Next(2) + i) % 5}"))
                    .Concat(Enumerable.Range(0, Flags).Select(i => random.NextDouble() < 0.3 * cluster ? "true" : "false"));
                writer.WriteLine(string.Join(',', fields));
            }
        }

        var columns = Enumerable.Range(0, Numeric).Select(i => new TextLoader.Column($"n{i}", DataKind.Single, i))
            .Concat(Enumerable.Range(0, Text).Select(i => new TextLoader.Column($"t{i}", DataKind.String, Numeric + i)))
            .Concat(Enumerable.Range(0, Flags).Select(i => new TextLoader.Column($"b{i}", DataKind.Boolean, Numeric + Text + i)))
            .ToArray();
        var ml = new MLContext(seed: 2);
        var data = ml.Data.LoadFromTextFile(path, columns, separatorChar: ',');
        var options = new VariationalAutoencoderOptions
        {
            Columns = columns.Select(c => new VaeColumn(c.Name)).ToList(),
            LatentDimension = 4,
            HiddenLayers = [64],
            Epochs = 2,
            BatchSize = 64,
            ScoreColumnName = "Score",
        };

        var clock = Stopwatch.StartNew();
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        var fitTime = clock.Elapsed;
        Assert.Equal(1000, model.Columns.Count);
        // Each text column shows 4 of its 5 values, plus the other bucket; a numeric column one feature, or its place
        // and components where its values have several modes.
        Assert.All(model.Columns.Skip(Numeric).Take(Text), c => Assert.Equal(5, c.Width));
        Assert.All(model.Columns.Take(Numeric), c => Assert.Equal(c.NumericEncoding == VaeNumericEncoding.Standardize ? 1 : 2 + c.PointMasses.Count + c.ModeCount, c.Width));
        Assert.Equal(model.Columns.Take(Numeric).Sum(c => c.Width) + (Text * 5) + Flags, model.Weights.InputWidth);
        Assert.Equal(1000, model.TrainingHistory[^1].ReconstructionByColumn.Count);
        Assert.All(model.TrainingHistory[^1].ReconstructionByColumn.Values, v => Assert.True(double.IsFinite(v)));
        clock.Restart();
        var scores = RowReader.Scalars(model.Transform(data), "Score");
        output.WriteLine($"1,000 columns ({Numeric} numeric, {Text} text, {Flags} Boolean), {Rows} rows: width {model.Weights.InputWidth}, fit {fitTime.TotalSeconds:F1} s, transform {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(Rows, scores.Length);
        Assert.All(scores, v => Assert.True(float.IsFinite(v)));
    }

    private static long ParameterCount(VariationalAutoencoderTransformer model) =>
        model.Weights.Encoder.Append(model.Weights.Heads).Concat(model.Weights.Decoder).Sum(l => (long)l.Weight.Length + l.Bias.Length);

    private sealed class WideKeyRow
    {
        public float X { get; set; }

        [KeyType(10_000)]
        public uint Product { get; set; }
    }
}
