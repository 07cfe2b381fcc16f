using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using Vae.MLNet.Onnx;
using Vae.MLNet.Tests.TestData;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Onnx;

/// <summary>A pipeline with the autoencoder exported by <c>mlContext.Model.ConvertToOnnx</c> and run in ONNX Runtime
/// computes what the transformer computes: every output column, on tables of every column kind, with and without
/// missing values, unseen categories and values far outside the training range.</summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private static readonly string[] WholeRow = ["Latent", "LogVar", "Score", "Error", "Errors"];

    private static readonly string[] Words = ["a", "b", "c", "d"];

    private static VariationalAutoencoderOptions AllOutputs(VariationalAutoencoderOptions options)
    {
        options.OutputColumnName = "Latent";
        options.LogVarianceColumnName = "LogVar";
        options.ScoreColumnName = "Score";
        options.ReconstructionErrorColumnName = "Error";
        options.ColumnErrorsColumnName = "Errors";
        options.ReconstructedColumnSuffix = "Rec";
        options.Epochs = 3;
        // Standardised numbers here; ModeSpecificColumnsAgree has the mode-specific encoding.
        options.NumericEncoding = VaeNumericEncoding.Standardize;
        return options;
    }

    private static string[] PerColumn(VariationalAutoencoderOptions options) =>
        options.Columns.SelectMany(c => new[] { c.Name + options.ReconstructedColumnSuffix, options.ImputedColumnSuffix is null ? null : c.Name + options.ImputedColumnSuffix })
            .Where(n => n is not null).Select(n => n!).ToArray();

    [Fact]
    public void MixedKindsAgreeWithTheTransformerAfterMLNetsOwnSteps()
    {
        var ml = new MLContext(seed: 1);
        var options = AllOutputs(TrainedModelFixture.Options());
        options.OutputColumnName = "Latent";
        // ML.NET's own steps before the autoencoder export into the same graph.
        var pipeline = ml.Transforms.CopyColumns("Spend", "Income")
            .Append(ml.Transforms.NormalizeMeanVariance("Spend"))
            .Append(ml.Transforms.VariationalAutoencoder(options));
        var train = MixedTable.Load(ml, 300);
        var model = pipeline.Fit(train);

        // Unseen cities, the empty text and values far outside the training range.
        var rows = MixedTable.Rows(200, seed: 5);
        rows[0].City = "Rome";
        rows[1].City = string.Empty;
        rows[2].Income = 1e9f;
        rows[3].Age = -1e6;
        rows[4].Scores = [50f, -50f, 0f];
        var worst = OnnxAgreement.AssertAgrees(ml, model, ml.Data.LoadFromEnumerable(rows), [.. WholeRow, .. PerColumn(options), "Spend"]);
        output.WriteLine($"largest relative difference {worst:G3}");
    }

    [Fact]
    public void MissingValuesUnseenCategoriesAndKeysAgree()
    {
        var ml = new MLContext(seed: 2);
        var options = AllOutputs(IncompleteTable.Options());
        var (_, holed) = IncompleteTable.Rows(300, missing: 0.2);
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(IncompleteTable.Load(ml, holed));

        var (_, test) = IncompleteTable.Rows(200, missing: 0.3, seed: 12);
        test[0].City = "Rome";
        test[1].A = 1e20f;
        test[2].B = double.NaN;
        var data = IncompleteTable.Load(ml, test);
        var worst = OnnxAgreement.AssertAgrees(ml, model, data, [.. WholeRow, .. PerColumn(options)]);
        output.WriteLine($"largest relative difference {worst:G3}");

        // The check has teeth: missing cells were imputed (not passed through as NaN, "?" or key 0).
        var onnx = OnnxAgreement.Run(OnnxAgreement.Export(ml, model, data), data);
        Assert.Contains(test, r => float.IsNaN(r.A));
        Assert.All(onnx["AImputed"], v => Assert.True(float.IsFinite((float)v[0])));
        Assert.DoesNotContain(onnx["CityImputed"], v => (string)v[0] == "?");
        Assert.DoesNotContain(onnx["SegmentImputed"], v => (uint)v[0] == 0);
    }

    public sealed class SpikyRow
    {
        public float Gain { get; set; }

        public int Hours { get; set; }

        public double Rate { get; set; }

        public string City { get; set; } = string.Empty;
    }

    [Theory]
    [InlineData(VaeNumericLoss.MeanSquaredError, VaeReconstructionReduction.Sum, false)]
    [InlineData(VaeNumericLoss.GaussianNll, VaeReconstructionReduction.ColumnMean, false)]
    [InlineData(VaeNumericLoss.MeanSquaredError, VaeReconstructionReduction.Sum, true)]
    public void ModeSpecificColumnsAgree(VaeNumericLoss loss, VaeReconstructionReduction reduction, bool allowMissing)
    {
        // Point masses (a float's zeros, an integer's 40 and 50), modes and extreme values; with missing values, NaN
        // in the float and double columns.
        var ml = new MLContext(seed: 9);
        var random = new Random(10);
        List<SpikyRow> Rows(int count) => Enumerable.Range(0, count).Select(i => new SpikyRow
        {
            Gain = random.NextDouble() < 0.7 ? 0 : (float)(100 + (5000 * random.NextDouble())),
            Hours = random.NextDouble() < 0.5 ? 40 : random.NextDouble() < 0.3 ? 50 : random.Next(1, 99),
            Rate = (random.NextDouble() < 0.5 ? -3 : 3) + (0.3 * random.NextDouble()),
            City = random.Next(3) switch { 0 => "Oslo", 1 => "Lima", _ => "Pune" },
        }).ToList();
        var train = Rows(400);
        if (allowMissing)
        {
            train[3].Gain = float.NaN;
            train[5].Rate = double.NaN;
        }

        var options = AllOutputs(new VariationalAutoencoderOptions
        {
            Columns = ["Gain", "Hours", "Rate", "City"],
            NumericEncoding = VaeNumericEncoding.ModeSpecific,
            NumericLoss = loss,
            Reduction = reduction,
            AllowMissingValues = allowMissing,
            ImputedColumnSuffix = allowMissing ? "Imputed" : null,
            LatentDimension = 3,
            HiddenLayers = [16],
        });
        options.NumericEncoding = VaeNumericEncoding.ModeSpecific;
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(ml.Data.LoadFromEnumerable(train));
        Assert.All(model.Encoding.Columns.Take(3), c => Assert.NotNull(c.Modes));
        Assert.Contains(0.0, model.Encoding.Columns[0].Modes!.Points);
        Assert.Contains(40.0, model.Encoding.Columns[1].Modes!.Points);

        var test = Rows(200);
        test[0].Gain = 1e7f;
        test[1].Hours = -1000;
        test[2].Rate = 50;
        test[3].Gain = 0;
        if (allowMissing)
        {
            test[4].Gain = float.NaN;
            test[5].Rate = double.NaN;
        }

        var worst = OnnxAgreement.AssertAgrees(ml, model, ml.Data.LoadFromEnumerable(test), [.. WholeRow, .. PerColumn(options)]);
        output.WriteLine($"largest relative difference {worst:G3}");
    }

    [Fact]
    public void ImputedColumnsThatReplaceTheirInputsAgree()
    {
        // ImputedColumnSuffix "": each imputed column takes its input's name and hides it, in the view and in the graph.
        var ml = new MLContext(seed: 4);
        var options = AllOutputs(IncompleteTable.Options());
        options.ImputedColumnSuffix = string.Empty;
        var (_, holed) = IncompleteTable.Rows(200, missing: 0.2);
        var data = IncompleteTable.Load(ml, holed);
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        OnnxAgreement.AssertAgrees(ml, model, data, ["A", "B", "City", "Segment", "Flag", "Latent"]);
        Assert.All(OnnxAgreement.Run(OnnxAgreement.Export(ml, model, data), data)["A"], v => Assert.True(float.IsFinite((float)v[0])));
    }

    [Theory]
    [InlineData(VaeActivation.Silu, VaeNumericLoss.GaussianNll, VaeReconstructionReduction.ColumnMean)]
    [InlineData(VaeActivation.Elu, VaeNumericLoss.MeanSquaredError, VaeReconstructionReduction.Sum)]
    [InlineData(VaeActivation.Tanh, VaeNumericLoss.GaussianNll, VaeReconstructionReduction.Sum)]
    [InlineData(VaeActivation.LeakyRelu, VaeNumericLoss.MeanSquaredError, VaeReconstructionReduction.ColumnMean)]
    public void EveryActivationLossAndTypeAgrees(VaeActivation activation, VaeNumericLoss loss, VaeReconstructionReduction reduction)
    {
        var ml = new MLContext(seed: 3);
        var random = new Random(4);
        var rows = Enumerable.Range(0, 200).Select(i => new TypedRow
        {
            Count = random.Next(0, 40),
            Small = (short)random.Next(-300, 300),
            Big = (long)(random.NextDouble() * 1e12),
            Byte = (byte)random.Next(256),
            Rate = random.NextDouble(),
            Flag = random.Next(2),
            On = random.NextDouble() < 0.3,
            Vector = [(float)random.NextDouble(), (float)(random.NextDouble() * 10), (float)(random.NextDouble() - 0.5), 1f],
            Word = Words[random.Next(4)],
        }).ToList();
        var options = AllOutputs(new VariationalAutoencoderOptions
        {
            Columns = ["Count", "Small", "Big", "Byte", new VaeColumn("Rate", VaeColumnKind.Binary), new VaeColumn("Flag", VaeColumnKind.Binary), "On", "Vector", "Word", new VaeColumn("OnNumber", VaeColumnKind.Numeric)],
            LatentDimension = 3,
            HiddenLayers = [24, 12],
            Activation = activation,
            NumericLoss = loss,
            Reduction = reduction,
            BatchSize = 32,
        });
        var model = ml.Transforms.Conversion.ConvertType("OnNumber", "On", DataKind.Single)
            .Append(ml.Transforms.VariationalAutoencoder(options))
            .Fit(ml.Data.LoadFromEnumerable(rows));
        rows[0].Count = 1_000_000;
        rows[1].Rate = 1;
        var worst = OnnxAgreement.AssertAgrees(ml, model, ml.Data.LoadFromEnumerable(rows), [.. WholeRow, .. PerColumn(options)]);
        output.WriteLine($"{activation}, {loss}, {reduction}: largest relative difference {worst:G3}");
    }

    [Fact]
    public void TheGraphHasTheModelsInputsAndOutputsOnly()
    {
        var ml = new MLContext(seed: 5);
        var options = AllOutputs(TrainedModelFixture.Options());
        var data = MixedTable.Load(ml, 100);
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(OnnxAgreement.Export(ml, model, data));
        Assert.Equal(data.Schema.Select(c => c.Name).Order(), session.InputMetadata.Keys.Order());
        Assert.Equal(new long[] { -1, 3 }, session.OutputMetadata["Latent.output"].Dimensions.Select(d => (long)d));
        Assert.Equal(typeof(string), session.OutputMetadata["CityRec.output"].ElementType);
        Assert.Equal(typeof(bool), session.OutputMetadata["MemberRec.output"].ElementType);
        Assert.Equal(typeof(double), session.OutputMetadata["AgeRec.output"].ElementType);
    }

    [Fact]
    public void AnEncodingTheExportDoesNotKnowStopsTheExportInsteadOfWritingAnotherGraph()
    {
        var ml = new MLContext(seed: 6);
        var data = MixedTable.Load(ml, 100);
        var model = ml.Transforms.VariationalAutoencoder(AllOutputs(TrainedModelFixture.Options())).Fit(data);
        Assert.True(VaeOnnxExport.CanExport(model.Inference));

        // A numeric column of more features than items (the shape of a mode-specific encoding), and an unknown kind.
        var income = model.Encoding.Columns[0];
        var wider = new EncodedColumn(income.Name, income.Kind, income.Weight, income.Source, income.Offset, 2, [0f, 0f], [1f, 1f], []);
        var unknown = new EncodedColumn(income.Name, (VaeColumnKind)99, income.Weight, income.Source, income.Offset, 1, [0f], [1f], []);
        Assert.True(ColumnEncodingGraph.CanEncode(income));
        Assert.False(ColumnEncodingGraph.CanEncode(wider));
        Assert.False(ColumnEncodingGraph.CanEncode(unknown));

        var changed = new VariationalAutoencoderTransformer(
            ml, new ColumnEncoding([unknown, .. model.Encoding.Columns.Skip(1)]), model.Weights, VaeReconstructionReduction.Sum, model.Outputs, []);
        Assert.False(VaeOnnxExport.CanExport(changed.Inference));
        var error = Assert.ThrowsAny<Exception>(() => OnnxAgreement.Export(ml, changed, data));
        Assert.Contains("can not be fully converted", error.Message);


    }

    [Fact]
    public void IntegerColumnsNeedOpset11ForRounding()
    {
        var ml = new MLContext(seed: 7);
        var rows = Enumerable.Range(0, 60).Select(i => new TypedRow { Count = i % 7, Vector = new float[4], Word = "a" }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = AllOutputs(new VariationalAutoencoderOptions { Columns = ["Count"], LatentDimension = 1, HiddenLayers = [4] });
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        using var stream = new MemoryStream();
        var error = Assert.ThrowsAny<Exception>(() => ml.Model.ConvertToOnnx(model, data, 10, stream));
        Assert.Contains("11", error.ToString());

        options.ReconstructedColumnSuffix = null;
        var latentOnly = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        using var opset9 = new MemoryStream();
        ml.Model.ConvertToOnnx(latentOnly, data, 9, opset9);
        Assert.True(opset9.Length > 0);
    }

    public sealed class TypedRow
    {
        public int Count { get; set; }

        public short Small { get; set; }

        public long Big { get; set; }

        public byte Byte { get; set; }

        public double Rate { get; set; }

        public int Flag { get; set; }

        public bool On { get; set; }

        [VectorType(4)]
        public float[] Vector { get; set; } = [];

        public string Word { get; set; } = string.Empty;
    }
}
