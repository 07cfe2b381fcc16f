using Microsoft.ML;

namespace Vae.MLNet.Tests.TestData;

/// <summary>One small model trained once and shared by the tests of a class.</summary>
public sealed class TrainedModelFixture
{
    public TrainedModelFixture()
    {
        Ml = new MLContext(seed: 3);
        Data = MixedTable.Load(Ml, 400);
        Estimator = Ml.Transforms.VariationalAutoencoder(Options());
        Model = Estimator.Fit(Data);
    }

    public MLContext Ml { get; }

    public IDataView Data { get; }

    public VariationalAutoencoderEstimator Estimator { get; }

    public VariationalAutoencoderTransformer Model { get; }

    public static VariationalAutoencoderOptions Options() => new()
    {
        OutputColumnName = "Latent",
        Columns = ["Income", "Age", "Scores", "City", new VaeColumn("Member", weight: 2)],
        LatentDimension = 3,
        HiddenLayers = [32, 32],
        Epochs = 8,
        BatchSize = 64,
        LearningRate = 3e-3,
        LogVarianceColumnName = "LogVar",
        ScoreColumnName = "Score",
        ReconstructionErrorColumnName = "Error",
    };
}
