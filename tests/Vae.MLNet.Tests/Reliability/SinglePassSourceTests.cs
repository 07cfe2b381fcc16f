using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Sources that can be read only once, or give other rows each time: <c>Transform</c> reads its input
/// through one cursor, so every row gets its own outputs; <c>Fit</c>, which reads its data twice, detects a second
/// reading that differs from the first and says how to fix it.</summary>
public sealed class SinglePassSourceTests
{
    private const int Rows = 2000;
    private readonly MLContext _ml = new(seed: 1);

    private VariationalAutoencoderTransformer Fit(IDataView data) =>
        _ml.Transforms.VariationalAutoencoder(Options()).Fit(data);

    private static VariationalAutoencoderOptions Options() => new()
    {
        Columns = ["Income", "Age", "Scores", "City", "Member"],
        LatentDimension = 3,
        HiddenLayers = [16],
        Epochs = 2,
        ScoreColumnName = "Score",
        ReconstructedColumnSuffix = "_hat",
    };

    [Fact]
    public void TransformOverASourceReadOnceGivesEveryRowItsOwnOutputs()
    {
        using var model = Fit(MixedTable.Load(_ml, 300));
        var rows = MixedTable.Rows(Rows, seed: 31);
        var output = model.Transform(_ml.Data.LoadFromEnumerable(Sources.OneShot(rows)));
        var served = Read(output);

        Assert.Equal(Rows, served.Count);
        var engine = _ml.Model.CreatePredictionEngine<MixedRow, Predicted>(model);
        for (var r = 0; r < Rows; r++)
        {
            var expected = engine.Predict(rows[r]);
            Assert.Equal((rows[r].Income, rows[r].City), (served[r].Income, served[r].City));
            Assert.Equal(rows[r].Scores, served[r].Scores);
            Assert.Equal(expected.Latent, served[r].Latent);
            Assert.Equal(expected.Score, served[r].Score);
            Assert.Equal(expected.City_hat, served[r].CityHat);
        }
    }

    [Fact]
    public void TransformOverASourceThatChangesGivesEachReadingsRowsTheirOwnOutputs()
    {
        using var model = Fit(MixedTable.Load(_ml, 300));
        var output = model.Transform(_ml.Data.LoadFromEnumerable(Sources.Changing(pass => MixedTable.Rows(Rows - (pass * 100), seed: 40 + pass))));
        var engine = _ml.Model.CreatePredictionEngine<MixedRow, Predicted>(model);
        for (var pass = 0; pass < 2; pass++)
        {
            // Each cursor is one reading: its pass-through columns and outputs belong to the same rows.
            var served = Read(output);
            var rows = MixedTable.Rows(Rows - (pass * 100), seed: 40 + pass);
            Assert.Equal(rows.Count, served.Count);
            for (var r = 0; r < rows.Count; r += 7)
            {
                Assert.Equal(rows[r].Income, served[r].Income);
                Assert.Equal(engine.Predict(rows[r]).Latent, served[r].Latent);
            }
        }
    }

    [Fact]
    public void FitOnASourceReadOnceSaysWhyAndHowToCacheIt()
    {
        var rows = MixedTable.Rows(500, seed: 32);
        var error = Assert.Throws<InvalidOperationException>(() => Fit(_ml.Data.LoadFromEnumerable(Sources.OneShot(rows))));
        Assert.Contains("other rows on its second reading than on its first (500 rows, then 0)", error.Message);
        Assert.Contains("mlContext.Data.Cache", error.Message);

        // The advice works: the cache reads the source once, and the model is the one the rows give.
        using var cached = Fit(_ml.Data.Cache(_ml.Data.LoadFromEnumerable(Sources.OneShot(rows))));
        using var listed = Fit(_ml.Data.LoadFromEnumerable(rows));
        var check = _ml.Data.LoadFromEnumerable(MixedTable.Rows(50, seed: 33));
        Assert.Equal(Read(listed.Transform(check)).Select(r => r.Latent), Read(cached.Transform(check)).Select(r => r.Latent));
    }

    [Fact]
    public void FitOnASourceWhoseSecondReadingGivesOtherRowsOfTheSameCountThrows()
    {
        var source = _ml.Data.LoadFromEnumerable(Sources.Changing(pass => MixedTable.Rows(500, seed: 50 + pass)));
        var error = Assert.Throws<InvalidOperationException>(() => Fit(source));
        Assert.Contains("(500 rows, then as many rows, but not the same)", error.Message);
    }

    [Fact]
    public void FitOnASourceThatGivesTheSameRowsInAnotherOrderTrains()
    {
        var rows = MixedTable.Rows(500, seed: 34);
        var source = _ml.Data.LoadFromEnumerable(Sources.Changing(pass => pass % 2 == 0 ? rows : Enumerable.Reverse(rows)));
        using var model = Fit(source);
        Assert.Equal(2, model.TrainingHistory.Count);
    }

    private static List<Served> Read(IDataView output)
    {
        var schema = output.Schema;
        using var cursor = output.GetRowCursor(schema);
        var latent = cursor.GetGetter<VBuffer<float>>(schema["Latent"]);
        var scores = cursor.GetGetter<VBuffer<float>>(schema["Scores"]);
        var score = cursor.GetGetter<float>(schema["Score"]);
        var income = cursor.GetGetter<float>(schema["Income"]);
        var city = cursor.GetGetter<ReadOnlyMemory<char>>(schema["City"]);
        var cityHat = cursor.GetGetter<ReadOnlyMemory<char>>(schema["City_hat"]);
        var served = new List<Served>();
        VBuffer<float> l = default, s = default;
        float sc = 0, inc = 0;
        ReadOnlyMemory<char> c = default, ch = default;
        while (cursor.MoveNext())
        {
            latent(ref l);
            scores(ref s);
            score(ref sc);
            income(ref inc);
            city(ref c);
            cityHat(ref ch);
            served.Add(new Served(l.DenseValues().ToArray(), s.DenseValues().ToArray(), sc, inc, c.ToString(), ch.ToString()));
        }

        return served;
    }

    private sealed record Served(float[] Latent, float[] Scores, float Score, float Income, string City, string CityHat);

    private sealed class Predicted
    {
        [VectorType(3)]
        public float[] Latent { get; set; } = [];

        public float Score { get; set; }

        public string City_hat { get; set; } = string.Empty;
    }
}
