using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using Vae.MLNet.Tests.TestData;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Training;

/// <summary>Fit with the data streamed (read and encoded again every epoch) instead of held in memory.</summary>
[Collection(SerialCollection.Name)]
public sealed class StreamingTests
{
    private static readonly VaeColumn[] Columns = ["Income", "Age", "Scores", "City", "Member"];

    private static VariationalAutoencoderOptions Options(VaeDataLoading loading, int epochs = 4, int seed = 3) => new()
    {
        Columns = Columns,
        LatentDimension = 3,
        HiddenLayers = [32, 32],
        Epochs = epochs,
        BatchSize = 32,
        LearningRate = 3e-3,
        Seed = seed,
        DataLoading = loading,
        ScoreColumnName = "Score",
    };

    [Fact]
    public void AStreamedFitReadsTheDataOncePerEpochAndLearns()
    {
        var ml = new MLContext(seed: 1);
        var rows = MixedTable.Rows(600);
        var readings = 0;
        var data = ml.Data.LoadFromEnumerable(Sources.Changing(_ =>
        {
            readings++;
            return rows;
        }));

        using var model = ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.Streaming, epochs: 12)).Fit(data);

        // The statistics pass, one pass per epoch, and the first training rows once more for the numeric noise.
        Assert.Equal(1 + 12 + 1, readings);
        var history = model.TrainingHistory;
        Assert.Equal(12, history.Count);
        Assert.True(history[^1].Loss < 0.8 * history[0].Loss, $"loss {history[0].Loss:F2} -> {history[^1].Loss:F2}");
        Assert.All(RowReader.Scalars(model.Transform(ml.Data.LoadFromEnumerable(rows)), "Score"), s => Assert.True(float.IsFinite(s)));
    }

    [Fact]
    public void AutoHoldsASmallTableInMemoryAndGivesTheInMemoryWeights()
    {
        var ml = new MLContext(seed: 1);
        var rows = MixedTable.Rows(300);
        var readings = 0;
        var data = ml.Data.LoadFromEnumerable(Sources.Changing(_ =>
        {
            readings++;
            return rows;
        }));
        using var auto = ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.Auto)).Fit(data);
        Assert.Equal(2, readings);
        using var inMemory = ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.InMemory)).Fit(data);
        var check = ml.Data.LoadFromEnumerable(MixedTable.Rows(50, seed: 9));
        Assert.Equal(RowReader.Vectors(inMemory.Transform(check), "Latent"), RowReader.Vectors(auto.Transform(check), "Latent"));
    }

    [Fact]
    public void AStreamedFitIsDeterministicAndItsSeedMatters()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 400);
        var check = ml.Data.LoadFromEnumerable(MixedTable.Rows(50, seed: 9));
        float[][] Latent(VaeDataLoading loading, int seed, double validation = 0)
        {
            var options = Options(loading, seed: seed);
            options.ValidationFraction = validation;
            options.Dropout = 0.1;
            using var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
            return RowReader.Vectors(model.Transform(check), "Latent");
        }

        Assert.Equal(Latent(VaeDataLoading.Streaming, 3), Latent(VaeDataLoading.Streaming, 3));
        Assert.Equal(Latent(VaeDataLoading.Streaming, 3, 0.2), Latent(VaeDataLoading.Streaming, 3, 0.2));
        Assert.NotEqual(Latent(VaeDataLoading.Streaming, 3), Latent(VaeDataLoading.Streaming, 4));
        Assert.NotEqual(Latent(VaeDataLoading.InMemory, 3), Latent(VaeDataLoading.Streaming, 3));
    }

    [Fact]
    public void AStreamedFitValidatesEveryEpochAndStopsEarly()
    {
        // A tiny table and a large model overfit quickly: validation loss turns up and patience runs out.
        var ml = new MLContext(seed: 1);
        var options = Options(VaeDataLoading.Streaming, epochs: 300);
        options.ValidationFraction = 0.5;
        options.LearningRate = 1e-2;
        options.BatchSize = 8;
        options.HiddenLayers = [128, 128];
        options.EarlyStoppingPatience = 5;
        options.KlSchedule = VaeKlSchedule.Cyclical;
        using var model = ml.Transforms.VariationalAutoencoder(options).Fit(MixedTable.Load(ml, 60));
        var history = model.TrainingHistory;
        Assert.True(history.Count < 300, $"ran all {history.Count} epochs");
        Assert.All(history, h => Assert.NotNull(h.ValidationLoss));
        var best = history.Min(h => h.ValidationLoss!.Value);
        Assert.Equal(history.Count - 1 - 5, history.ToList().FindIndex(h => h.ValidationLoss == best));
    }

    [Fact]
    public void TheStreamedSplitHoldsOutEvenlySpreadRowsOfTheRequestedShare()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 1000);
        var (encoding, requests) = Encoding(data);
        ColumnEncodingFitter.Fit(data, requests, 100, null, null, out var fingerprint);
        using var source = new StreamingBatches(new EncodedPasses(data, encoding, fingerprint, null), 64);
        source.Open(CoreFit.Settings(validation: 0.1), CPU);
        Assert.Equal((900, 100), (source.TrainRows, source.ValidationRows));

        // The held-out rows, read in order, are rows 9, 19, 29, ... of the table.
        var matrix = ColumnEncodingFitter.Encode(data, encoding);
        using var reader = source.Validation();
        using var scope = NewDisposeScope();
        var held = reader.Next(100).data<float>().ToArray();
        reader.Complete();
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(matrix.Values.AsSpan((((i + 1) * 10) - 1) * matrix.Width, matrix.Width).ToArray(), held.AsSpan(i * matrix.Width, matrix.Width).ToArray());
        }
    }

    [Fact]
    public void AnEpochGivesEveryTrainingRowOnceInAnOrderOfItsOwn()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 700);
        var (encoding, requests) = Encoding(data);
        ColumnEncodingFitter.Fit(data, requests, 100, null, null, out var fingerprint);
        using var source = new StreamingBatches(new EncodedPasses(data, encoding, fingerprint, null), 16);
        source.Open(CoreFit.Settings(validation: 0.2), CPU);
        string[] Epoch(int epoch)
        {
            using var scope = NewDisposeScope();
            using var reader = source.Epoch(epoch, null!);
            var rows = new List<string>();
            for (var left = source.TrainRows; left > 0; left -= 64)
            {
                var batch = reader.Next(Math.Min(64, left)).data<float>().ToArray();
                rows.AddRange(batch.Chunk(encoding.InputWidth).Select(r => string.Join(',', r)));
            }

            reader.Complete();
            return [.. rows];
        }

        var first = Epoch(1);
        var second = Epoch(2);
        Assert.Equal(560, first.Length);
        Assert.Equal(first.Order(StringComparer.Ordinal), second.Order(StringComparer.Ordinal));
        Assert.Equal(first.Length, first.Distinct().Count());
        Assert.NotEqual(first, second);
        Assert.Equal(first, Epoch(1));
    }

    [Fact]
    public void AStreamedFitOnASourceReadOnceSaysWhyAndHowToFixIt()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sources.OneShot(MixedTable.Rows(500, seed: 32)));
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.Streaming)).Fit(data));
        Assert.Contains("other rows on reading 2 than on its first (500 rows, then 0)", error.Message);
        Assert.Contains("DataLoading", error.Message);
        Assert.Contains("mlContext.Data.Cache", error.Message);
    }

    [Fact]
    public void AStreamedFitOnASourceThatChangesInALaterEpochThrows()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sources.Changing(pass => MixedTable.Rows(500, seed: pass < 3 ? 50 : 51)));
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.Streaming)).Fit(data));
        Assert.Contains("other rows on reading 4 than on its first (500 rows, then as many rows, but not the same)", error.Message);

        var longer = ml.Data.LoadFromEnumerable(Sources.Changing(pass => MixedTable.Rows(pass == 0 ? 500 : 501, seed: 50)));
        error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VariationalAutoencoder(Options(VaeDataLoading.Streaming)).Fit(longer));
        Assert.Contains("other rows on reading 2 than on its first (500 rows, then more than 500)", error.Message);
    }

    [Fact]
    public void AStreamedFitTakesMissingValuesMaskingAndImputes()
    {
        var ml = new MLContext(seed: 5);
        var (complete, holed) = IncompleteTable.Rows(600, missing: 0.2);
        var data = IncompleteTable.Load(ml, holed);
        var options = IncompleteTable.Options();
        options.DataLoading = VaeDataLoading.Streaming;
        options.Epochs = 25;
        options.MaskingRate = 0.2;
        options.ValidationFraction = 0.1;
        using var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        Assert.True(model.TrainingHistory[^1].Loss < model.TrainingHistory[0].Loss);

        // The imputed city of a row whose city is missing is its cluster's city far more often than by chance (1/3).
        var imputed = model.Transform(data).GetColumn<ReadOnlyMemory<char>>("CityImputed").Select(c => c.ToString()).ToArray();
        var missing = Enumerable.Range(0, holed.Count).Where(i => holed[i].City == "?").ToArray();
        var right = missing.Count(i => imputed[i] == IncompleteTable.Cities[complete[i].Cluster]);
        Assert.True(right > 0.7 * missing.Length, $"{right} of {missing.Length} missing cities imputed right");
        Assert.All(model.Generate(200, seed: 1).GetColumn<float>("A"), a => Assert.True(float.IsFinite(a)));
    }

    [Fact]
    public void CancellingAStreamedFitStopsItWithinABatch()
    {
        var ml = new MLContext(seed: 1);
        using var cancel = new CancellationTokenSource();
        var epochs = 0;
        var options = Options(VaeDataLoading.Streaming, epochs: 50);
        options.Progress = new Recorder(_ =>
        {
            if (++epochs == 2)
            {
                cancel.Cancel();
            }
        });
        var estimator = ml.Transforms.VariationalAutoencoder(options);
        Assert.ThrowsAny<OperationCanceledException>(() => estimator.Fit(MixedTable.Load(ml, 2000), cancel.Token));
        Assert.Equal(2, epochs);
    }

    [Fact]
    public void AStreamedFitLeavesNoTensorBeyondTorchSharpsParameterAccounting()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 300);
        var (encoding, requests) = Encoding(data);
        ColumnEncodingFitter.Fit(data, requests, 100, null, null, out var fingerprint);
        var settings = CoreFit.Settings(epochs: 1);
        TrainingResult Train(TrainingSettings s)
        {
            using var source = new StreamingBatches(new EncodedPasses(data, encoding, fingerprint, null), s.BatchSize);
            return VaeTrainer.Train(source, encoding, s, CPU);
        }

        Train(settings); // lazily created globals
        var start = Settled();
        new Vae.MLNet.Model.VaeNetwork(encoding.Width, settings.HiddenLayers, settings.LatentDimension, settings.Activation, 0, 0).Dispose();
        var moduleResidue = Settled() - start;

        start = Settled();
        Train(settings with { Epochs = 6, ValidationFraction = 0.2 });
        Assert.Equal(moduleResidue, Settled() - start);
    }

    [Theory]
    [InlineData(VaeDataLoading.Auto, 1_000_000, 100, 2L << 30, false)] // 381 MiB of 2 GiB: in memory
    [InlineData(VaeDataLoading.Auto, 1_000_000, 100, 1L << 30, true)] // 381 MiB of 1 GiB: more than a quarter
    [InlineData(VaeDataLoading.Auto, 600_000_000, 4, 1L << 40, true)] // more values than one array holds
    [InlineData(VaeDataLoading.InMemory, 1_000_000, 100, 1L << 20, false)]
    [InlineData(VaeDataLoading.Streaming, 10, 2, 1L << 40, true)]
    public void AutoStreamsWhenTheEncodedTableWouldTakeMoreThanAQuarterOfTheAvailableMemory(VaeDataLoading loading, long rows, int width, long available, bool streams) =>
        Assert.Equal(streams, VariationalAutoencoderEstimator.Streams(loading, rows, width, available));

    private static (ColumnEncoding, IReadOnlyList<ColumnRequest>) Encoding(IDataView data)
    {
        var requests = ColumnResolver.Resolve(data.Schema, Columns, "columns");
        return (ColumnEncodingFitter.Fit(data, requests, 100), requests);
    }

    private sealed class Recorder(Action<VaeEpochResult> action) : IProgress<VaeEpochResult>
    {
        public void Report(VaeEpochResult value) => action(value);
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}
