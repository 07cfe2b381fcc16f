using Microsoft.ML;
using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.TestData;

/// <summary>Runs the core (encoding and trainer) without the ML.NET surface.</summary>
internal static class CoreFit
{
    public static TrainingSettings Settings(
        int latent = 4, int epochs = 30, int seed = 1, double beta = 1.0, VaeKlSchedule schedule = VaeKlSchedule.Constant,
        double validation = 0, double learningRate = 3e-3, double clip = 5, VaeNumericLoss numericLoss = VaeNumericLoss.MeanSquaredError,
        int batchSize = 64, int[]? hidden = null) =>
        new(latent, hidden ?? [32, 32], VaeActivation.Relu, 0, epochs, batchSize, learningRate, 0, clip, validation, 5,
            new KlWeight(beta, false, schedule, 5, 2, 0.5, epochs), 0, numericLoss, VaeReconstructionReduction.Sum, seed);

    public static (ColumnEncoding Encoding, EncodedMatrix Matrix) Encode(IDataView data, params VaeColumn[] columns)
    {
        var requests = ColumnResolver.Resolve(data.Schema, columns, "columns");
        var encoding = ColumnEncodingFitter.Fit(data, requests, 100);
        return (encoding, ColumnEncodingFitter.Encode(data, encoding));
    }

    public static TrainingResult Train(IDataView data, TrainingSettings settings, params VaeColumn[] columns)
    {
        var (encoding, matrix) = Encode(data, columns);
        return VaeTrainer.Train(matrix, encoding, settings, CPU);
    }
}
