using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

public sealed class PipelineTests : IDisposable
{
    private readonly string _csv = Path.Combine(Path.GetTempPath(), $"vae-mlnet-{Guid.NewGuid():N}.csv");

    public void Dispose() => File.Delete(_csv);

    [Fact]
    public void WorksBetweenTextLoaderTransformsAndATrainer()
    {
        // A CSV with mixed columns, read by TextLoader; numbers concatenated and min-max normalised, a text column
        // mapped to keys, another left as text; the latent features then feed a binary classifier.
        var rows = MixedTable.Rows(800, seed: 21);
        using (var writer = new StreamWriter(_csv))
        {
            writer.WriteLine("income,age,s0,s1,s2,city,member,label");
            foreach (var r in rows)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Income},{r.Age},{r.Scores[0]},{r.Scores[1]},{r.Scores[2]},{r.City},{r.Member},{r.Cluster == 1}"));
            }
        }

        var ml = new MLContext(seed: 5);
        var data = ml.Data.LoadFromTextFile(_csv, [
            new TextLoader.Column("Income", DataKind.Single, 0),
            new TextLoader.Column("Age", DataKind.Single, 1),
            new TextLoader.Column("Scores", DataKind.Single, 2, 4),
            new TextLoader.Column("City", DataKind.String, 5),
            new TextLoader.Column("Member", DataKind.Boolean, 6),
            new TextLoader.Column("Label", DataKind.Boolean, 7),
        ], separatorChar: ',', hasHeader: true);
        var split = ml.Data.TrainTestSplit(data, testFraction: 0.25, seed: 1);

        var pipeline = ml.Transforms.Concatenate("Numbers", "Income", "Age", "Scores")
            .Append(ml.Transforms.NormalizeMinMax("Numbers"))
            .Append(ml.Transforms.Conversion.MapValueToKey("CityKey", "City"))
            .Append(ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
            {
                Columns = ["Numbers", "CityKey", "Member"],
                LatentDimension = 3,
                HiddenLayers = [32, 32],
                Epochs = 15,
                BatchSize = 64,
                LearningRate = 3e-3,
            }))
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression("Label", "Latent"));
        var model = pipeline.Fit(split.TrainSet);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(split.TestSet), "Label");

        // Cluster 1 is the label; the latent features must carry it.
        Assert.True(metrics.AreaUnderRocCurve > 0.9, $"AUC {metrics.AreaUnderRocCurve:F3}");
        var vae = model.OfType<VariationalAutoencoderTransformer>().Single();
        Assert.Equal(VaeColumnKind.Categorical, vae.Columns[1].Kind);
        Assert.Contains("Lima", vae.Columns[1].Categories); // key values from MapValueToKey
    }
}
