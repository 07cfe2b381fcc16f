using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.MLNet;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Option and data edge cases beyond <see cref="ValidationTests"/>: each is rejected with an exception that
/// names the option or the column (and the row), or works and gives finite outputs.</summary>
public sealed class BadInputTests
{
    private readonly MLContext _ml = new(seed: 1);

    private static VariationalAutoencoderOptions Tiny(params VaeColumn[] columns) => new()
    {
        Columns = columns,
        LatentDimension = 2,
        HiddenLayers = [16],
        Epochs = 2,
        BatchSize = 32,
        ScoreColumnName = "Score",
    };

    public static TheoryData<string, Action<VariationalAutoencoderOptions>> MoreBadOptions => new()
    {
        { "LatentDimension", o => o.LatentDimension = -3 },
        { "Epochs", o => o.Epochs = 0 },
        { "BatchSize", o => o.BatchSize = -64 },
        { "LearningRate", o => o.LearningRate = -1e-3 },
        { "LearningRate", o => o.LearningRate = double.PositiveInfinity },
        { "Beta", o => o.Beta = double.PositiveInfinity },
        { "WeightDecay", o => o.WeightDecay = double.NaN },
        { "GradientClipNorm", o => o.GradientClipNorm = -1 },
        { "MaxCategories", o => o.MaxCategories = 0 },
        { "EarlyStoppingPatience", o => o.EarlyStoppingPatience = 0 },
        { "AnnealingCycles", o => o.AnnealingCycles = 0 },
        { "Activation", o => o.Activation = (VaeActivation)99 },
        { "Columns", o => o.Columns = [new VaeColumn("X", weight: double.PositiveInfinity)] },
        { "Columns", o => o.Columns = [new VaeColumn("X", VaeColumnKind.Numeric), new VaeColumn("X", VaeColumnKind.Binary)] },
        { "Columns", o => o.Columns = [new VaeColumn("X", (VaeColumnKind)7)] },
    };

    [Theory]
    [MemberData(nameof(MoreBadOptions))]
    public void EveryInvalidOptionValueIsRejectedAtConstructionNamingTheOption(string option, Action<VariationalAutoencoderOptions> change)
    {
        var options = new VariationalAutoencoderOptions { Columns = ["X"] };
        change(options);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.VariationalAutoencoder(options));
        Assert.Equal(option, error.ParamName);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void ZeroRowsAreRejectedBeforeTraining()
    {
        var empty = _ml.Data.LoadFromEnumerable(new List<MixedRow>());
        var error = Assert.Throws<InvalidOperationException>(() => _ml.Transforms.VariationalAutoencoder(Tiny("Income", "City")).Fit(empty));
        Assert.Contains("no rows", error.Message);
    }

    [Fact]
    public void OneRowAndAConstantColumnTrainAndGiveFiniteOutputs()
    {
        var rows = MixedTable.Rows(1);
        var one = _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Scores", "City", "Member")).Fit(_ml.Data.LoadFromEnumerable(rows));
        AssertFinite(one.Transform(_ml.Data.LoadFromEnumerable(MixedTable.Rows(20))));

        var constant = MixedTable.Rows(100);
        constant.ForEach(r => r.Age = 42);
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Age", "City")).Fit(_ml.Data.LoadFromEnumerable(constant));
        Assert.Equal(1f, model.Columns[1].StandardDeviations[0]);
        AssertFinite(model.Transform(_ml.Data.LoadFromEnumerable(MixedTable.Rows(50, seed: 3))));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.PositiveInfinity)]
    public void ANonFiniteNumberAtTransformNamesTheColumnAndRow(float value)
    {
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Scores", "City")).Fit(MixedTable.Load(_ml, 100));
        var rows = MixedTable.Rows(30);
        rows[23].Scores[2] = value;
        var error = Assert.Throws<InvalidOperationException>(() => RowReader.Vectors(model.Transform(_ml.Data.LoadFromEnumerable(rows)), "Latent"));
        Assert.Contains("'Scores'", error.Message);
        Assert.Contains("row 23", error.Message);
        Assert.Contains("slot 2", error.Message);
    }

    [Fact]
    public void ABinaryValueOutsideZeroOneIsRejectedAtFitAndTransform()
    {
        var rows = Enumerable.Range(0, 40).Select(i => new FlagRow { X = i, P = (i % 3) / 2f }).ToList();
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("X", new VaeColumn("P", VaeColumnKind.Binary))).Fit(_ml.Data.LoadFromEnumerable(rows));
        rows[11].P = -0.25f;
        var data = _ml.Data.LoadFromEnumerable(rows);
        var atFit = Assert.Throws<InvalidOperationException>(() => _ml.Transforms.VariationalAutoencoder(Tiny("X", new VaeColumn("P", VaeColumnKind.Binary))).Fit(data));
        var atTransform = Assert.Throws<InvalidOperationException>(() => RowReader.Scalars(model.Transform(data), "Score"));
        foreach (var error in new[] { atFit, atTransform })
        {
            Assert.Contains("'P'", error.Message);
            Assert.Contains("row 11", error.Message);
            Assert.Contains("[0, 1]", error.Message);
        }
    }

    /// <summary>ML.NET's loaders read a class's key member as a 0-based index and turn one beyond the key count into
    /// the missing key 0; a raw key beyond the count can only come from a hand-made data view.</summary>
    [Theory]
    [InlineData(4u)]
    [InlineData(uint.MaxValue)]
    public void AMissingKeyIsRejectedAtFitTransformAndPrediction(uint key)
    {
        var rows = Enumerable.Range(0, 40).Select(i => new KeyRow { X = i, K = (uint)(i % 4) }).ToList();
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("X", "K")).Fit(_ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(VaeColumnKind.Categorical, model.Columns[1].Kind);
        Assert.Equal(4, model.Columns[1].Width);
        rows[7].K = key;
        var data = _ml.Data.LoadFromEnumerable(rows);
        var atFit = Assert.Throws<InvalidOperationException>(() => _ml.Transforms.VariationalAutoencoder(Tiny("X", "K")).Fit(data));
        var atTransform = Assert.Throws<InvalidOperationException>(() => RowReader.Vectors(model.Transform(data), "Latent"));
        var engine = _ml.Model.CreatePredictionEngine<KeyRow, LatentRow>(model);
        var atPredict = Assert.Throws<InvalidOperationException>(() => engine.Predict(rows[7]));
        foreach (var error in new[] { atFit, atTransform, atPredict })
        {
            Assert.Contains("Column 'K' has a missing key value (0)", error.Message);
        }

        Assert.Contains("row 7", atFit.Message);
        Assert.Contains("row 7", atTransform.Message);

        var beyond = Assert.Throws<InvalidOperationException>(() => Vae.MLNet.Columns.ValueChecks.KeyPosition("K", 9, 4, 7));
        Assert.Equal("Column 'K' has key value 9 at row 7, beyond its 4 categories.", beyond.Message);
    }

    [Fact]
    public void HugeButFiniteValuesTrainAndTransformToFiniteOutputs()
    {
        var rows = MixedTable.Rows(200);
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].Income *= 1e25f; // around 5e29
            rows[i].Age = i % 50 == 0 ? 1e30 : rows[i].Age;
        }

        var data = _ml.Data.LoadFromEnumerable(rows);
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Age", "City")).Fit(data);
        Assert.All(model.TrainingHistory, h => Assert.True(double.IsFinite(h.Loss)));
        AssertFinite(model.Transform(data));
    }

    [Fact]
    public void ADoubleBeyondTheFloatRangeIsRejectedNamingColumnAndRow()
    {
        var rows = MixedTable.Rows(60);
        rows[44].Age = 1e300;
        var error = Assert.Throws<InvalidOperationException>(() =>
            _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Age")).Fit(_ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Age'", error.Message);
        Assert.Contains("row 44", error.Message);
        Assert.Contains("1E+300", error.Message);
        Assert.Contains("beyond the range of a float", error.Message);
    }

    /// <summary>A value many orders of magnitude outside the training range overflows the network's float
    /// arithmetic: Transform and the prediction engine stop with the row and the column named rather than emit an
    /// infinite score or a NaN; a merely large outlier scores finitely.</summary>
    [Fact]
    public void AValueFarOutsideTheTrainingRangeAtTransformIsNamedNotSilentlyInfinite()
    {
        var model = _ml.Transforms.VariationalAutoencoder(Tiny("Income", "Age", "City")).Fit(MixedTable.Load(_ml, 200));
        var engine = _ml.Model.CreatePredictionEngine<MixedRow, ScoreRow>(model);
        var rows = MixedTable.Rows(10);
        rows[4].Age = 1e6;
        AssertFinite(model.Transform(_ml.Data.LoadFromEnumerable(rows)));
        Assert.True(float.IsFinite(engine.Predict(rows[4]).Score));

        foreach (var extreme in new[] { 1e30, -1e38, float.MaxValue })
        {
            rows[4].Age = extreme;
            var error = Assert.Throws<InvalidOperationException>(() => AssertFinite(model.Transform(_ml.Data.LoadFromEnumerable(rows))));
            Assert.StartsWith("The model's outputs for row 4 are not finite numbers", error.Message);
            Assert.Contains("column 'Age' is ", error.Message);
            Assert.Contains("standard deviations from its training mean", error.Message);
            var single = Assert.Throws<InvalidOperationException>(() => engine.Predict(rows[4]));
            Assert.Contains("column 'Age'", single.Message);
        }

        rows[4].Age = 1e300;
        var beyond = Assert.Throws<InvalidOperationException>(() => AssertFinite(model.Transform(_ml.Data.LoadFromEnumerable(rows))));
        Assert.Contains("Column 'Age' has the value 1E+300 at row 4, which lies", beyond.Message);
        Assert.Contains("beyond the range of a float", beyond.Message);
    }

    internal static void AssertFinite(IDataView output)
    {
        Assert.All(RowReader.Vectors(output, "Latent"), row => Assert.All(row, v => Assert.True(float.IsFinite(v), $"latent {v}")));
        Assert.All(RowReader.Scalars(output, "Score"), v => Assert.True(float.IsFinite(v), $"score {v}"));
    }

    private sealed class FlagRow
    {
        public float X { get; set; }

        public float P { get; set; }
    }

    private sealed class KeyRow
    {
        public float X { get; set; }

        [KeyType(4)]
        public uint K { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private sealed class LatentRow
    {
        [VectorType(2)]
        public float[] Latent { get; set; } = [];
    }
}
