using Microsoft.ML;
using Vae.MLNet.Model;
using Vae.MLNet.Tests.TestData;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Training;

public sealed class VaeTrainerTests
{
    private static readonly VaeColumn[] Columns = ["Income", "Age", "Scores", "City", "Member"];
    private readonly MLContext _ml = new(seed: 1);

    [Fact]
    public void AMixedTableIsReconstructedFarBetterThanByItsMeans()
    {
        var data = MixedTable.Load(_ml, 600);
        var (encoding, matrix) = CoreFit.Encode(data, Columns);
        var result = VaeTrainer.Train(matrix, encoding, CoreFit.Settings(epochs: 40, beta: 0.2), CPU);

        // Reconstruct every row from its posterior mean and compare with predicting each column's mean
        // (0 for standardised numbers, the marginal frequencies for categories and flags).
        var inference = new VaeInference(result.Weights, encoding, VaeReconstructionReduction.Sum);
        var rows = matrix.Rows;
        var workspace = inference.CreateWorkspace(rows);
        var heads = new float[rows * 2 * inference.Latent];
        var decoded = new float[rows * matrix.Width];
        inference.Encode(matrix.Values, rows, heads, workspace);
        inference.Decode(heads, 2 * inference.Latent, rows, decoded, workspace);
        var reconstruction = new float[rows * encoding.Columns.Count];
        inference.Score(matrix.Values, heads, decoded, rows, reconstruction, new float[rows], workspace);

        var baseline = MeanPredictorLoss(matrix, encoding);
        for (var c = 0; c < encoding.Columns.Count; c++)
        {
            var model = Enumerable.Range(0, rows).Average(r => reconstruction[(r * encoding.Columns.Count) + c]);
            Assert.True(model < 0.6 * baseline[c], $"{encoding.Columns[c].Name}: model {model:F3} vs mean predictor {baseline[c]:F3}");
        }

        var history = result.History;
        Assert.Equal(40, history.Count);
        Assert.True(history[^1].Loss < history[0].Loss);
        Assert.InRange(history[^1].ActiveUnits, 1, 4);
    }

    [Fact]
    public void TheSameSeedGivesIdenticalWeightsAndADifferentSeedDoesNot()
    {
        var data = MixedTable.Load(_ml, 200);
        var first = CoreFit.Train(data, CoreFit.Settings(epochs: 3, seed: 5), Columns).Weights;
        var second = CoreFit.Train(data, CoreFit.Settings(epochs: 3, seed: 5), Columns).Weights;
        var other = CoreFit.Train(data, CoreFit.Settings(epochs: 3, seed: 6), Columns).Weights;
        Assert.Equal(Flatten(first), Flatten(second));
        Assert.NotEqual(Flatten(first), Flatten(other));
    }

    [Fact]
    public void HistoryReportsEveryPartPerEpoch()
    {
        var data = MixedTable.Load(_ml, 200);
        var result = CoreFit.Train(data, CoreFit.Settings(epochs: 6, validation: 0.25, schedule: VaeKlSchedule.LinearWarmup), Columns);
        var epoch = result.History[2];
        Assert.Equal(Columns.Select(c => c.Name), epoch.ReconstructionByColumn.Keys);
        Assert.Equal(4, epoch.KlByDimension.Count);
        Assert.Equal(epoch.KlByDimension.Sum(), epoch.Kl, 9);
        Assert.Equal(epoch.ReconstructionByColumn.Values.Sum(), epoch.Reconstruction, 9);
        Assert.Equal(0.6, epoch.Beta, 9); // linear warm-up over 5 epochs, at the end of epoch 3
        Assert.NotNull(epoch.ValidationLoss);
        Assert.NotNull(epoch.ValidationKl);
        Assert.True(result.History.Zip(result.History.Skip(1)).All(p => p.Second.Elapsed >= p.First.Elapsed));
    }

    [Fact]
    public void EarlyStoppingStopsBeforeTheLastEpochAndKeepsTheBestWeights()
    {
        // A tiny table and a large model overfit quickly: validation loss turns up and patience runs out.
        var data = MixedTable.Load(_ml, 60);
        var settings = CoreFit.Settings(epochs: 300, validation: 0.5, learningRate: 1e-2, batchSize: 8, hidden: [128, 128]) with { EarlyStoppingPatience = 5 };
        var result = CoreFit.Train(data, settings, Columns);
        Assert.True(result.History.Count < 300, $"ran all {result.History.Count} epochs");
        var best = result.History.Min(h => h.ValidationLoss!.Value);
        Assert.True(result.History[^1].ValidationLoss > best);
    }

    [Fact]
    public void CancellationStopsTraining()
    {
        var data = MixedTable.Load(_ml, 300);
        var (encoding, matrix) = CoreFit.Encode(data, Columns);
        using var cancellation = new CancellationTokenSource();
        var epochs = 0;
        Assert.Throws<OperationCanceledException>(() => VaeTrainer.Train(matrix, encoding, CoreFit.Settings(epochs: 50), CPU,
            onEpoch: _ => { if (++epochs == 2) { cancellation.Cancel(); } }, cancellation: cancellation.Token));
        Assert.Equal(2, epochs);
    }

    [Fact]
    public void DivergenceIsReportedWithTermEpochAndBatch()
    {
        var data = MixedTable.Load(_ml, 200);
        var settings = CoreFit.Settings(epochs: 20, learningRate: 1e6, clip: 0);
        var error = Assert.Throws<VaeTrainingException>(() => CoreFit.Train(data, settings, Columns));
        Assert.True(error.Epoch >= 1);
        Assert.True(error.Batch >= 0);
        Assert.Contains($"epoch {error.Epoch}", error.Message);
        Assert.False(string.IsNullOrEmpty(error.Term));
    }

    internal static float[] Flatten(VaeWeights weights) =>
        weights.Encoder.Append(weights.Heads).Concat(weights.Decoder).SelectMany(l => l.Weight.Concat(l.Bias)).ToArray();

    private static double[] MeanPredictorLoss(Vae.MLNet.Columns.EncodedMatrix matrix, Vae.MLNet.Columns.ColumnEncoding encoding)
    {
        var losses = new double[encoding.Columns.Count];
        for (var c = 0; c < encoding.Columns.Count; c++)
        {
            var column = encoding.Columns[c];
            for (var k = 0; k < column.Width; k++)
            {
                var values = Enumerable.Range(0, matrix.Rows).Select(r => (double)matrix.Values[(r * matrix.Width) + column.Offset + k]).ToArray();
                var mean = values.Average();
                losses[c] += column.Kind switch
                {
                    VaeColumnKind.Numeric => values.Average(v => (v - mean) * (v - mean)),
                    VaeColumnKind.Binary => values.Average(v => -((v * Math.Log(mean)) + ((1 - v) * Math.Log(1 - mean)))),
                    _ => mean > 0 ? -mean * Math.Log(mean) : 0,
                };
            }
        }

        return losses;
    }
}
