using Microsoft.ML;
using Vae.MLNet.Tests.TestData;
using Vae.MLNet.Tests.Training;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Reliability;

public sealed class TrainingFaultTests
{
    /// <summary>A learning rate of 10 (and a far worse one) either stops training with the term, epoch and batch
    /// named, or is survived (by clipping) with finite weights, finite outputs and a model that saves and loads:
    /// never a model with NaN weights.</summary>
    [Theory]
    [InlineData(10.0, 5.0)]
    [InlineData(10.0, 0.0)]
    [InlineData(1e6, 5.0)]
    [InlineData(1e6, 0.0)]
    public void AHugeLearningRateStopsWithTheTermNamedOrLeavesFiniteWeights(double learningRate, double clip)
    {
        var ml = new MLContext(seed: 2);
        var data = MixedTable.Load(ml, 300);
        var options = TrainedModelFixture.Options();
        options.LearningRate = learningRate;
        options.GradientClipNorm = clip;
        options.Epochs = 6;
        VariationalAutoencoderTransformer model;
        try
        {
            model = ml.Transforms.VariationalAutoencoder(options).Fit(data);
        }
        catch (VaeTrainingException error)
        {
            Assert.True(error.Epoch is >= 1 and <= 6, error.Message);
            Assert.True(error.Batch >= 0, error.Message);
            Assert.Contains($"epoch {error.Epoch}", error.Message);
            Assert.False(string.IsNullOrWhiteSpace(error.Term));
            Assert.Contains(error.Term, error.Message);
            return;
        }

        Assert.All(VaeTrainerTests.Flatten(model.Weights), w => Assert.True(float.IsFinite(w)));
        Assert.All(model.TrainingHistory, h => Assert.True(double.IsFinite(h.Loss)));
        var output = model.Transform(data);
        Assert.All(RowReader.Vectors(output, "Latent"), row => Assert.All(row, v => Assert.True(float.IsFinite(v))));
        Assert.All(RowReader.Scalars(output, "Score"), v => Assert.True(float.IsFinite(v)));
    }

    /// <summary>The trainer checks for cancellation before every batch: cancelling during batch k runs no batch
    /// after it.</summary>
    [Fact]
    public void CancellationMidEpochStopsBeforeTheNextBatch()
    {
        var data = MixedTable.Load(new MLContext(1), 300);
        var (encoding, matrix) = CoreFit.Encode(data, "Income", "Age", "Scores", "City", "Member");
        using var cancellation = new CancellationTokenSource();
        var batches = 0;
        var epochs = 0;
        Assert.Throws<OperationCanceledException>(() => VaeTrainer.Train(matrix, encoding, CoreFit.Settings(epochs: 5, batchSize: 8), CPU,
            onEpoch: _ => epochs++,
            checkAlive: () => { if (++batches == 45) { cancellation.Cancel(); } },
            cancellation: cancellation.Token));
        Assert.Equal(45, batches); // batch 45 of 38 per epoch: in the middle of epoch 2
        Assert.Equal(1, epochs);
    }
}
