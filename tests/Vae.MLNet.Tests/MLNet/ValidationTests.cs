using Microsoft.ML;
using Vae.MLNet.Internals;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

public sealed class ValidationTests
{
    private readonly MLContext _ml = new(seed: 1);

    private sealed class OddRow
    {
        public float X { get; set; }

        public DateTime When { get; set; }

        public float[] Ragged { get; set; } = [];

        public string Text { get; set; } = "a";
    }

    private IDataView Odd() => _ml.Data.LoadFromEnumerable(new[] { new OddRow { X = 1, Ragged = [1, 2] }, new OddRow { X = 2, Ragged = [1] } });

    [Theory]
    [InlineData("Missing", "not in the data")]
    [InlineData("When", "unsupported type")]
    [InlineData("Ragged", "variable size")]
    public void BadColumnsAreRejectedBeforeTrainingInShapeAndFit(string column, string problem)
    {
        var estimator = _ml.Transforms.VariationalAutoencoder("Z", ["X", column]);
        var data = Odd();
        var shape = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(MLNetInterop.ShapeOf(data.Schema)));
        Assert.Contains($"'{column}'", shape.Message);
        Assert.Contains(problem, shape.Message);
        var fit = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.Contains($"'{column}'", fit.Message);
    }

    [Fact]
    public void ADeclaredKindMustSuitTheType()
    {
        var estimator = _ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions { Columns = [new VaeColumn("Text", VaeColumnKind.Numeric)] });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(MLNetInterop.ShapeOf(Odd().Schema)));
        Assert.Contains("'Text'", error.Message);
        Assert.Contains("Numeric", error.Message);
    }

    [Fact]
    public void EmptyOrDuplicateColumnListsAreRejectedAtConstruction()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.VariationalAutoencoder("Z", []));
        var duplicate = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.VariationalAutoencoder("Z", ["X", "X"]));
        Assert.Contains("'X'", duplicate.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.VariationalAutoencoder("Z", ["X", ""]));
    }

    public static TheoryData<string, Action<VariationalAutoencoderOptions>> BadOptions => new()
    {
        { "LatentDimension", o => o.LatentDimension = 0 },
        { "Epochs", o => o.Epochs = -1 },
        { "BatchSize", o => o.BatchSize = 0 },
        { "LearningRate", o => o.LearningRate = 0 },
        { "LearningRate", o => o.LearningRate = double.NaN },
        { "Beta", o => o.Beta = -0.5 },
        { "Beta", o => o.Beta = double.NaN },
        { "Dropout", o => o.Dropout = 1 },
        { "ValidationFraction", o => o.ValidationFraction = -0.1 },
        { "HiddenLayers", o => o.HiddenLayers = [16, 0] },
        { "FreeBits", o => o.FreeBits = -1 },
        { "CycleRampFraction", o => o.CycleRampFraction = 0 },
        { "Columns", o => o.Columns = [new VaeColumn("X", weight: -1)] },
        { "Columns", o => o.Columns = [new VaeColumn("X", weight: double.NaN)] },
        { "ScoreColumnName", o => o.ScoreColumnName = "Latent" },

        // Beyond the range of the floats training computes in (these once ended in a native exception or a
        // divergence that named no option).
        { "LearningRate", o => o.LearningRate = 1e300 },
        { "WeightDecay", o => o.WeightDecay = 1e300 },
        { "GradientClipNorm", o => o.GradientClipNorm = 1e300 },
        { "AnnealingEpochs", o => o.AnnealingEpochs = 1e300 },
        { "Beta", o => o.Beta = 1e300 },
        { "Beta", o => o.Beta = 2e6 },
        { "FreeBits", o => o.FreeBits = 1e300 },
        { "FreeBits", o => o.FreeBits = 2e6 },
        { "MaskingRate", o => o.MaskingRate = 1 },
        { "MaskingRate", o => o.MaskingRate = -0.1 },
        { "MaskingRate", o => o.MaskingRate = 0.3 }, // without AllowMissingValues
        { "NumberOfThreads", o => o.NumberOfThreads = 0 },
        { "DataLoading", o => o.DataLoading = (VaeDataLoading)7 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void InvalidOptionsAreRejectedNamingTheOption(string option, Action<VariationalAutoencoderOptions> change)
    {
        var options = new VariationalAutoencoderOptions { Columns = ["X"] };
        change(options);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ml.Transforms.VariationalAutoencoder(options));
        Assert.Equal(option, error.ParamName);
    }

    [Fact]
    public void OptionsChangedAfterConstructionChangeNothing()
    {
        var data = MixedTable.Load(_ml, 200);
        static VariationalAutoencoderOptions Make() => new()
        {
            Columns = ["Income", "City"],
            LatentDimension = 2,
            HiddenLayers = [8],
            Epochs = 2,
            Seed = 5,
        };

        var options = Make();
        var estimator = _ml.Transforms.VariationalAutoencoder(options);
        options.LearningRate = -1;
        options.LatentDimension = 0;
        options.Epochs = 0;
        options.Beta = 1e300;
        options.OutputColumnName = "Elsewhere";
        options.Columns.Add("Age");
        options.HiddenLayers[0] = 0;
        options.MissingTextValues.Add(null!);

        var shape = estimator.GetOutputSchema(MLNetInterop.ShapeOf(data.Schema));
        Assert.True(MLNetInterop.TryFindColumn(shape, "Latent", out _));
        using var changed = estimator.Fit(data);
        using var reference = _ml.Transforms.VariationalAutoencoder(Make()).Fit(data);
        Assert.Equal((2, "Latent", 2), (changed.LatentDimension, changed.OutputColumnName, changed.Columns.Count));
        Assert.Equal(RowReader.Vectors(reference.Transform(data), "Latent"), RowReader.Vectors(changed.Transform(data), "Latent"));
    }

    [Fact]
    public void OptionsDefaultsAreTheDocumentedOnes()
    {
        var o = new VariationalAutoencoderOptions();
        Assert.Equal(("Latent", 8, VaeActivation.Relu, 0.0), (o.OutputColumnName, o.LatentDimension, o.Activation, o.Dropout));
        Assert.Equal([128, 128], o.HiddenLayers);
        Assert.Equal((30, 256, 1e-3, 1e-5, 5.0), (o.Epochs, o.BatchSize, o.LearningRate, o.WeightDecay, o.GradientClipNorm));
        Assert.Equal((0.0, 10, 1.0, false, VaeKlSchedule.Constant), (o.ValidationFraction, o.EarlyStoppingPatience, o.Beta, o.NormalizeBeta, o.KlSchedule));
        Assert.Equal((10.0, 4, 0.5, 0.0), (o.AnnealingEpochs, o.AnnealingCycles, o.CycleRampFraction, o.FreeBits));
        Assert.Equal((VaeNumericLoss.MeanSquaredError, VaeReconstructionReduction.Sum, 100), (o.NumericLoss, o.Reduction, o.MaxCategories));
        Assert.Null(o.Seed);
        Assert.Null(o.ScoreColumnName);
        Assert.Equal(VaeDataLoading.Auto, o.DataLoading);
        Assert.Null(o.NumberOfThreads);
    }

    [Fact]
    public void NonFiniteValuesStopFitWithColumnAndRow()
    {
        var rows = MixedTable.Rows(50);
        rows[17].Income = float.PositiveInfinity;
        var error = Assert.Throws<InvalidOperationException>(() =>
            _ml.Transforms.VariationalAutoencoder("Z", ["Income", "City"]).Fit(_ml.Data.LoadFromEnumerable(rows)));
        Assert.Contains("'Income'", error.Message);
        Assert.Contains("row 17", error.Message);
    }

    [Fact]
    public void AnUnseenCategoryAtTransformGoesToTheOtherBucket()
    {
        var model = _ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions { Columns = ["Income", "City"], Epochs = 2, LatentDimension = 2 })
            .Fit(MixedTable.Load(_ml, 100));
        var rows = MixedTable.Rows(5);
        rows[2].City = "Atlantis";
        var latent = RowReader.Vectors(model.Transform(_ml.Data.LoadFromEnumerable(rows)), "Latent");
        Assert.All(latent, row => Assert.All(row, v => Assert.True(float.IsFinite(v))));
    }
}
