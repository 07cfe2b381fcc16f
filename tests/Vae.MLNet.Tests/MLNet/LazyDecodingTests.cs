using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

/// <summary><c>Generate</c> and <c>Decode</c> compute their rows while the view is read, a batch at a time, and give
/// the values of decoding every row at once.</summary>
public sealed class LazyDecodingTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-7)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void SeededDrawsGiveTheDrawsOfDotNetsSeededRandomAndSkipAhead(int seed)
    {
        var expected = new Random(seed);
        var draws = new SeededDraws(seed);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(expected.NextDouble(), draws.NextDouble());
        }

        var copy = draws.Copy();
        var skipped = draws.Copy();
        skipped.Skip(123);
        for (var i = 0; i < 123; i++)
        {
            Assert.Equal(expected.NextDouble(), copy.NextDouble());
        }

        Assert.Equal(expected.Next(1000), skipped.Next(1000));
        Assert.Equal(expected.NextDouble(), skipped.NextDouble());
    }

    [Theory]
    [InlineData(VaeNumericLoss.MeanSquaredError)]
    [InlineData(VaeNumericLoss.GaussianNll)]
    public void GenerateGivesTheRowsOfDrawingEveryRowAtOnce(VaeNumericLoss loss)
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Income", "Age", "Scores", "City", "Member"],
            LatentDimension = 3,
            HiddenLayers = [16],
            Epochs = 2,
            NumericLoss = loss,
        }).Fit(MixedTable.Load(ml, 300));

        // 2,500 rows: two full batches and a part of one.
        const int Count = (2 * DecodedRowsView.BatchRows) + 452;
        var lazy = model.Generate(Count, seed: 11);
        var eager = EagerGenerate(ml, model, Count, seed: 11);
        Assert.Equal(Count, lazy.GetRowCount());
        Assert.Equal(eager.Schema.Select(c => (c.Name, c.Type.ToString(), c.Annotations.Schema.Count)), lazy.Schema.Select(c => (c.Name, c.Type.ToString(), c.Annotations.Schema.Count)));
        ColumnDump.AssertSame(eager, lazy);

        // Every reading gives the same rows; so does a reading of some columns only.
        ColumnDump.AssertSame(eager, lazy);
        Assert.Equal(eager.GetColumn<string>("City"), lazy.GetColumn<string>("City"));
        Assert.NotEqual(lazy.GetColumn<float>("Income"), model.Generate(Count, seed: 12).GetColumn<float>("Income"));
    }

    [Fact]
    public void DecodeGivesTheRowsOfDecodingEveryPointAtOnceAndNamesAPointThatOverflows()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Income", "City", "Member"],
            LatentDimension = 2,
            HiddenLayers = [8],
            Epochs = 2,
        }).Fit(MixedTable.Load(ml, 200));
        var random = new Random(3);
        var points = Enumerable.Range(0, 3000).Select(_ => new[] { (float)random.NextDouble() * 4 - 2, (float)random.NextDouble() * 4 - 2 }).ToList();
        var decoded = model.Decode(points);
        var z = points.SelectMany(p => p).ToArray();
        var outputs = new float[points.Count * model.Encoding.Width];
        model.Inference.Decode(z, 2, points.Count, outputs, model.Inference.CreateWorkspace(points.Count));
        ColumnDump.AssertSame(RowDecoder.ToDataView(ml, model.Encoding, model.Weights.NumericNoise, outputs, points.Count, (Random?)null), decoded);

        // A sequence that is not a collection is read once, when Decode is called.
        var reads = 0;
        IEnumerable<float[]> Sequence()
        {
            reads++;
            foreach (var p in points.Take(10))
            {
                yield return p;
            }
        }

        var fromSequence = model.Decode(Sequence());
        Assert.Equal(model.Decode(points.Take(10).ToArray()).GetColumn<float>("Income"), fromSequence.GetColumn<float>("Income"));
        Assert.Equal(1, reads);

        // Points this far out overflow the decoder (whatever the signs of its weights, one of the four does): the
        // first one is named, by its place among all the points.
        points[2500] = [float.MaxValue, float.MaxValue];
        points[2501] = [float.MaxValue, -float.MaxValue];
        points[2502] = [-float.MaxValue, float.MaxValue];
        points[2503] = [-float.MaxValue, -float.MaxValue];
        var error = Assert.Throws<InvalidOperationException>(() => model.Decode(points).GetColumn<float>("Income").ToArray());
        Assert.Matches("^The decoder's outputs for latent point 250[0-3] are not finite numbers", error.Message);
    }

    /// <summary>Generate as it was before it was lazy: every latent point drawn, decoded at once, then the columns drawn
    /// from the same generator.</summary>
    private static IDataView EagerGenerate(MLContext ml, VariationalAutoencoderTransformer model, int count, int seed)
    {
        var random = new Random(seed);
        var latent = model.LatentDimension;
        var z = new float[count * latent];
        for (var i = 0; i < z.Length; i++)
        {
            z[i] = (float)ColumnDecoder.Gaussian(random);
        }

        var outputs = new float[count * model.Encoding.Width];
        model.Inference.Decode(z, latent, count, outputs, model.Inference.CreateWorkspace(count));
        return RowDecoder.ToDataView(ml, model.Encoding, model.Weights.NumericNoise, outputs, count, random);
    }
}
