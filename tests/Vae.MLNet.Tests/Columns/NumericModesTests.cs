using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Tests.Columns;

/// <summary>The mode-specific encoding of numeric columns: what the fitter finds, how values are encoded and decoded,
/// and what it changes for a fitted model (point masses kept by Generate, saved and loaded, missing values).</summary>
public sealed class NumericModesTests
{
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void TheFitterFindsPointMassesAndSeparatedModesAndLeavesOneGaussianAlone()
    {
        var random = new Random(1);
        var spiky = Enumerable.Range(0, 5000).Select(i => i % 10 < 7 ? 0.0 : i % 10 == 7 ? 99999 : 100 + (1000 * random.NextDouble())).ToArray();
        var spikyModes = ModeFitter.Fit(spiky, decimals: -1, force: false)!;
        Assert.Equal([0.0, 99999], spikyModes.Points);
        Assert.All(spikyModes.Means, m => Assert.InRange(m, 100, 1100));

        var bimodal = Enumerable.Range(0, 4000).Select(i => (i % 2 == 0 ? -5 : 5) + Gaussian(random)).ToArray();
        var bimodalModes = ModeFitter.Fit(bimodal, decimals: -1, force: false)!;
        Assert.Empty(bimodalModes.Points);
        Assert.Equal(2, bimodalModes.Means.Length);
        Assert.InRange(bimodalModes.Means[0], -5.2, -4.8);
        Assert.InRange(bimodalModes.Means[1], 4.8, 5.2);
        Assert.All(bimodalModes.Stds, s => Assert.InRange(s, 0.9, 1.1));
        Assert.All(bimodalModes.Weights, w => Assert.InRange(w, 0.45, 0.55));

        var normal = Enumerable.Range(0, 4000).Select(_ => 3 + (2 * Gaussian(random))).ToArray();
        Assert.Null(ModeFitter.Fit(normal, decimals: -1, force: false));

        // Two groups 2.5 deviations apart: a mixture of two fits them better than one Gaussian, but a value's group is
        // uncertain (the mean entropy of its component is above 0.2 nats), so the automatic choice keeps one Gaussian.
        var overlapping = Enumerable.Range(0, 4000).Select(i => (i % 2 == 0 ? 30 : 45) + (6 * Gaussian(random))).ToArray();
        var mixture = ModeFitter.Select([.. overlapping.Order()], 1e-6);
        Assert.True(mixture.Weights.Length >= 2);
        Assert.True(ModeFitter.AssignmentEntropy(overlapping, mixture) > ModeFitter.MaxAssignmentEntropy);
        Assert.Null(ModeFitter.Fit(overlapping, decimals: -1, force: false));
        var forced = ModeFitter.Fit(normal, decimals: -1, force: true)!;
        Assert.Single(forced.Means);
        Assert.InRange(forced.Means[0], 2.9, 3.1);
    }

    [Fact]
    public void WholeNumbersDoNotCollapseModesOntoSingleValues()
    {
        // Ages: whole numbers from one broad hump. A mixture may use a few components, but none narrower than half a
        // year (the resolution), and no point mass (no value holds 5% of the rows).
        var random = new Random(2);
        var ages = Enumerable.Range(0, 6000).Select(_ => Math.Round(38 + (13 * Gaussian(random)))).ToArray();
        var modes = ModeFitter.Fit(ages, decimals: 0, force: true)!;
        Assert.Empty(modes.Points);
        Assert.All(modes.Stds, s => Assert.True(s >= 0.5, $"a component of deviation {s}"));
        Assert.True(modes.Means.Length <= 3, $"{modes.Means.Length} components for one hump");
    }

    [Fact]
    public void ValuesEncodeToTheirComponentAndDecodeBack()
    {
        var modes = new NumericModes([0, 40], [0.5, 0.5], [10, 100], [2, 20]);
        Assert.Equal(4, modes.Count);
        foreach (var x in new[] { 0.0, 40, 9.5, 130, -3, 55 })
        {
            var span = new float[1 + modes.Count];
            modes.Encode(x, span);
            var component = Array.IndexOf(span, 1f, 1) - 1;
            Assert.Equal(modes.ComponentOf(x), component);
            Assert.Equal(x, modes.Value(component, span[0]), 4);
        }

        Assert.Equal(0, modes.ComponentOf(0));
        Assert.Equal(1, modes.ComponentOf(40));
        Assert.Equal(2, modes.ComponentOf(12));
        Assert.Equal(3, modes.ComponentOf(90));

        // The expected value weighs each component's value by its probability: all on the point 40, or half on 0
        // and half on the mode at 100 (place 0.5 there: 110).
        Assert.Equal(40, modes.Expected([0f, -30f, 30f, -30f, -30f]), 6);
        Assert.Equal(55, modes.Expected([0.5f, 0f, -80f, -80f, 0f]), 4);
    }

    public sealed class SpikeRow
    {
        public float Gain { get; set; }

        public float Hours { get; set; }

        public string Group { get; set; } = string.Empty;
    }

    private static List<SpikeRow> SpikeRows(int count, int seed)
    {
        // Gain: 0 in 70% of rows (more in group b), else spread over [100, 5100]; Hours: two modes, 20 and 45.
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var group = random.NextDouble() < 0.5 ? "a" : "b";
            var zero = random.NextDouble() < (group == "a" ? 0.55 : 0.85);
            return new SpikeRow
            {
                Gain = zero ? 0 : (float)(100 + (5000 * random.NextDouble())),
                Hours = (float)((random.NextDouble() < 0.4 ? 20 : 45) + (1.5 * Gaussian(random))),
                Group = group,
            };
        }).ToList();
    }

    private static VariationalAutoencoderOptions Options(VaeNumericEncoding encoding) => new()
    {
        Columns = ["Gain", "Hours", "Group"],
        NumericEncoding = encoding,
        LatentDimension = 4,
        HiddenLayers = [32, 32],
        Epochs = 25,
        BatchSize = 64,
        LearningRate = 3e-3,
        Seed = 3,
    };

    [Fact]
    public void AutoChoosesModesForSpikesAndModesAndGenerateKeepsThePointMass()
    {
        var ml = new MLContext(seed: 1);
        var rows = SpikeRows(3000, 4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.VariationalAutoencoder(Options(VaeNumericEncoding.Auto)).Fit(data);
        var gain = model.Columns.Single(c => c.Name == "Gain");
        var hours = model.Columns.Single(c => c.Name == "Hours");
        Assert.Equal(VaeNumericEncoding.ModeSpecific, gain.NumericEncoding);
        Assert.Equal([0.0], gain.PointMasses);
        Assert.Equal(VaeNumericEncoding.ModeSpecific, hours.NumericEncoding);
        Assert.Empty(hours.PointMasses);
        Assert.True(hours.ModeCount >= 2, $"{hours.ModeCount} modes of hours");

        var realZeros = rows.Count(r => r.Gain == 0) / (double)rows.Count;
        var generated = model.Generate(4000, seed: 5);
        var gains = generated.GetColumn<float>("Gain").ToArray();
        var zeros = gains.Count(g => g == 0) / (double)gains.Length;
        Assert.InRange(zeros, realZeros - 0.05, realZeros + 0.05);
        Assert.All(gains, g => Assert.InRange(g, 0, 5100));

        // The two modes of hours come back: few generated values between them, as in the data.
        var between = generated.GetColumn<float>("Hours").Count(h => h is > 28 and < 37) / 4000.0;
        Assert.True(between < 0.05, $"{between:P1} of generated hours between the modes");

        // Standardised, the same column gives no exact zeros (one Gaussian cannot draw a point mass).
        var plain = ml.Transforms.VariationalAutoencoder(Options(VaeNumericEncoding.Standardize)).Fit(data);
        Assert.Equal(VaeNumericEncoding.Standardize, plain.Columns.Single(c => c.Name == "Gain").NumericEncoding);
        var plainZeros = plain.Generate(4000, seed: 5).GetColumn<float>("Gain").Count(g => g == 0) / 4000.0;
        Assert.True(plainZeros < realZeros - 0.3, $"standardised: {plainZeros:P0} zeros against {realZeros:P0}");
    }

    [Fact]
    public void AModeSpecificModelSavesLoadsAndScoresTheSame()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpikeRows(800, 6));
        var options = Options(VaeNumericEncoding.ModeSpecific);
        options.Epochs = 5;
        options.ScoreColumnName = "Score";
        options.ColumnErrorsColumnName = "Errors";
        options.ReconstructedColumnSuffix = "Rec";
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        Assert.All(model.Columns.Where(c => c.Kind == VaeColumnKind.Numeric), c => Assert.Equal(VaeNumericEncoding.ModeSpecific, c.NumericEncoding));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = Assert.IsType<VariationalAutoencoderTransformer>(ml.Model.Load(stream, out _));
        Assert.Equal(model.Columns.Select(c => c.ToString()), loaded.Columns.Select(c => c.ToString()));

        var before = model.Transform(data);
        var after = loaded.Transform(data);
        Assert.Equal(before.GetColumn<float>("Score"), after.GetColumn<float>("Score"));
        Assert.Equal(before.GetColumn<float>("GainRec"), after.GetColumn<float>("GainRec"));
        Assert.Equal(model.Generate(50, seed: 2).GetColumn<float>("Gain"), loaded.Generate(50, seed: 2).GetColumn<float>("Gain"));

        // The score is the sum of the column errors plus the KL term, the mode-specific columns' errors included.
        var errors = before.GetColumn<float[]>("Errors").ToArray();
        Assert.All(errors, e => Assert.True(e[0] > 0 && e[1] > 0 && float.IsFinite(e[0]) && float.IsFinite(e[1])));
    }

    public sealed class GappyRow
    {
        public float Gain { get; set; }

        public string Group { get; set; } = string.Empty;
    }

    [Fact]
    public void MissingValuesInAModeSpecificColumnAreImputedFromTheModel()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(7);
        // Group b always has a gain of 0; group a a gain around 3000. Some gains are missing.
        var rows = Enumerable.Range(0, 1500).Select(i =>
        {
            var b = i % 2 == 0;
            var gain = b ? 0f : (float)(3000 + (100 * Gaussian(random)));
            return new GappyRow { Gain = i % 10 == 1 || i % 10 == 2 ? float.NaN : gain, Group = b ? "b" : "a" };
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Gain", "Group"],
            AllowMissingValues = true,
            ImputedColumnSuffix = "Imp",
            LatentDimension = 2,
            HiddenLayers = [32, 32],
            Epochs = 30,
            BatchSize = 64,
            LearningRate = 3e-3,
            Seed = 3,
        }).Fit(data);
        Assert.Equal([0.0], model.Columns.Single(c => c.Name == "Gain").PointMasses);

        var imputed = model.Transform(data).GetColumn<float>("GainImp").ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            if (float.IsNaN(rows[i].Gain))
            {
                // Imputed from the group: near 0 in group b, near 3000 in group a.
                Assert.InRange(imputed[i], rows[i].Group == "b" ? 0 : 2500, rows[i].Group == "b" ? 300 : 3500);
            }
            else
            {
                Assert.Equal(rows[i].Gain, imputed[i]);
            }
        }
    }

    [Fact]
    public void ConditionsOnAModeSpecificColumnHoldAndTheGroupTheyImplyFollows()
    {
        // Gain is 0 in 10% of group a and 90% of group b: a zero implies b, a gain in [1000, 5100] mostly a.
        var ml = new MLContext(seed: 1);
        var random = new Random(8);
        var rows = Enumerable.Range(0, 3000).Select(i =>
        {
            var b = i % 2 == 0;
            var zero = random.NextDouble() < (b ? 0.9 : 0.1);
            return new GappyRow { Gain = zero ? 0 : (float)(100 + (5000 * random.NextDouble())), Group = b ? "b" : "a" };
        }).ToList();
        var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Gain", "Group"],
            AllowMissingValues = true,
            MaskingRate = 0.4,
            Beta = 0.25,
            LatentDimension = 2,
            HiddenLayers = [32, 32],
            Epochs = 30,
            BatchSize = 64,
            LearningRate = 3e-3,
            Seed = 3,
        }).Fit(ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(VaeNumericEncoding.ModeSpecific, model.Columns[0].NumericEncoding);

        var zeros = ml.Data.CreateEnumerable<GappyRow>(model.Generate(1000, [VaeCondition.Equal("Gain", 0)], seed: 4), reuseRowObject: false).ToArray();
        Assert.All(zeros, r => Assert.Equal(0, r.Gain));
        var b = zeros.Count(r => r.Group == "b") / 1000.0;
        Assert.True(b > 0.75, $"group b in {b:P0} of the rows with a gain of 0 (90% in the data)");

        var high = ml.Data.CreateEnumerable<GappyRow>(model.Generate(1000, [VaeCondition.Between("Gain", 1000, 5100)], seed: 4), reuseRowObject: false).ToArray();
        Assert.All(high, r => Assert.InRange(r.Gain, 1000, 5100));
        var a = high.Count(r => r.Group == "a") / 1000.0;
        Assert.True(a > 0.75, $"group a in {a:P0} of the rows with a gain in [1000, 5100] (90% in the data)");
    }

    [Fact]
    public void ModeSpecificIsRefusedForAVectorOrText()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SpikeRows(10, 1));
        var text = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [new VaeColumn("Group") { NumericEncoding = VaeNumericEncoding.ModeSpecific }, "Gain"],
        }).Fit(data));
        Assert.Contains("'Group'", text.Message);
        Assert.Contains("scalar numeric", text.Message);

        var vectors = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(i => new VectorRow { Values = [i, 2 * i] }));
        var vector = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [new VaeColumn("Values") { NumericEncoding = VaeNumericEncoding.ModeSpecific }],
        }).GetOutputSchema(Vae.MLNet.Internals.MLNetInterop.ShapeOf(vectors.Schema)));
        Assert.Contains("'Values'", vector.Message);
        Assert.Contains("a vector", vector.Message);
    }

    public sealed class VectorRow
    {
        [VectorType(2)]
        public float[] Values { get; set; } = [];
    }
}
