using Microsoft.ML;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

/// <summary>ML.NET's estimator workout (<see cref="EstimatorWorkout"/>) with each output the options can ask for.</summary>
public sealed class EstimatorWorkoutTests
{
    public static TheoryData<string> Outputs => ["Latent", "LogVariance", "Score", "ReconstructionError", "ColumnErrors", "Reconstructed", "Imputed"];

    [Theory]
    [MemberData(nameof(Outputs))]
    public void TheEstimatorPassesTheWorkoutWithEachOutput(string output)
    {
        var ml = new MLContext(seed: 5);
        var options = new VariationalAutoencoderOptions
        {
            Columns = ["Income", "Age", "Scores", "City", "Member"],
            LatentDimension = 2,
            HiddenLayers = [8],
            Epochs = 2,
        };
        var rows = MixedTable.Rows(200, seed: 12);
        switch (output)
        {
            case "LogVariance": options.LogVarianceColumnName = "LogVar"; break;
            case "Score": options.ScoreColumnName = "Score"; break;
            case "ReconstructionError": options.ReconstructionErrorColumnName = "Error"; break;
            case "ColumnErrors": options.ColumnErrorsColumnName = "Errors"; break;
            case "Reconstructed": options.ReconstructedColumnSuffix = "Hat"; break;
            case "Imputed":
                options.ImputedColumnSuffix = "Imputed";
                options.AllowMissingValues = true;
                rows.Where((_, i) => i % 9 == 0).ToList().ForEach(r => r.Age = double.NaN);
                break;
            default: break;
        }

        var data = ml.Data.LoadFromEnumerable(rows);
        var invalid = ml.Transforms.DropColumns("City").Fit(data).Transform(data);
        EstimatorWorkout.Run(ml, ml.Transforms.VariationalAutoencoder(options), data, invalid);
    }
}
