using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Transform;

/// <summary>The transform's cursor over many batches (it runs the model on the next batch on another thread while
/// the caller reads the current one): the same values as one row at a time, errors at the row that causes them, and
/// a cursor left half-read closes cleanly.</summary>
public sealed class BatchedCursorTests
{
    private const int Rows = (3 * VariationalAutoencoderTransformer.TransformBatchSize) + 117;
    private readonly MLContext _ml = new(seed: 1);

    private VariationalAutoencoderTransformer Fit() =>
        _ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Income", "Age", "City"],
            LatentDimension = 3,
            HiddenLayers = [16],
            Epochs = 2,
            ScoreColumnName = "Score",
            ReconstructedColumnSuffix = "_hat",
        }).Fit(MixedTable.Load(_ml, 300));

    [Fact]
    public void EveryBatchGivesTheValuesOfTheRowByRowPath()
    {
        using var model = Fit();
        var rows = MixedTable.Rows(Rows, seed: 21);
        var output = model.Transform(_ml.Data.LoadFromEnumerable(rows));
        var latent = RowReader.Vectors(output, "Latent");
        var scores = RowReader.Scalars(output, "Score");
        var ages = output.GetColumn<double>("Age_hat").ToArray();
        var cities = output.GetColumn<string>("City_hat").ToArray();
        Assert.Equal(Rows, latent.Length);

        var engine = _ml.Model.CreatePredictionEngine<MixedRow, Predicted>(model);
        var batch = VariationalAutoencoderTransformer.TransformBatchSize;
        foreach (var r in new[] { 0, batch - 1, batch, (2 * batch) + 5, (3 * batch) - 1, 3 * batch, Rows - 1 })
        {
            var single = engine.Predict(rows[r]);
            Assert.Equal(single.Latent, latent[r]);
            Assert.Equal(single.Score, scores[r]);
            Assert.Equal(single.Age_hat, ages[r]);
            Assert.Equal(single.City_hat, cities[r]);
        }
    }

    [Fact]
    public void ARowTheModelOverflowsOnIsNamedInALaterBatch()
    {
        using var model = Fit();
        var rows = MixedTable.Rows(Rows, seed: 22);
        var bad = (2 * VariationalAutoencoderTransformer.TransformBatchSize) + 40;
        rows[bad].Age = 1e30;
        // A second one later in the same batch, in another chunk of rows: the two threads that share a batch may
        // compute it first, and the error still names the first.
        rows[bad + 200].Age = -1e30;
        var output = model.Transform(_ml.Data.LoadFromEnumerable(rows));
        var read = 0;
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            using var cursor = output.GetRowCursor([output.Schema["Score"]]);
            var getter = cursor.GetGetter<float>(output.Schema["Score"]);
            float score = 0;
            while (cursor.MoveNext())
            {
                getter(ref score);
                Assert.True(float.IsFinite(score));
                read++;
            }
        });
        Assert.StartsWith($"The model's outputs for row {bad} are not finite numbers", error.Message);
        Assert.Contains("column 'Age'", error.Message);
        // Every row of the batches before the bad row's was served first.
        Assert.Equal(2 * VariationalAutoencoderTransformer.TransformBatchSize, read);
    }

    [Fact]
    public void ACursorClosedHalfwayLeavesNothingRunning()
    {
        using var model = Fit();
        var output = model.Transform(_ml.Data.LoadFromEnumerable(MixedTable.Rows(Rows, seed: 23)));
        for (var stop = 1; stop < Rows; stop += 397)
        {
            using (var cursor = output.GetRowCursor([output.Schema["Latent"]]))
            {
                for (var i = 0; i < stop && cursor.MoveNext(); i++)
                {
                }
            }

            // The same view read again in full after the early close gives every row.
            Assert.Equal(Rows, RowReader.Vectors(output, "Latent").Length);
        }
    }

    private sealed class Predicted
    {
        [VectorType(3)]
        public float[] Latent { get; set; } = [];

        public float Score { get; set; }

        public double Age_hat { get; set; }

        public string City_hat { get; set; } = string.Empty;
    }
}
