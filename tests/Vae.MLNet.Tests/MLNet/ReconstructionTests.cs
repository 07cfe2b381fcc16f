using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Internals;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

public sealed class ReconstructionTests
{
    [Fact]
    public void ReconstructedColumnsHaveEachInputColumnsTypeAndRecoverTheData()
    {
        var ml = new MLContext(seed: 2);
        var rows = MixedTable.Rows(600);
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = TrainedModelFixture.Options();
        options.Epochs = 30;
        options.ReconstructedColumnSuffix = "Rec";
        var estimator = ml.Transforms.VariationalAutoencoder(options);
        var model = estimator.Fit(data);
        var output = model.Transform(data);

        foreach (var name in new[] { "Income", "Age", "Scores", "City", "Member" })
        {
            Assert.Equal(data.Schema[name].Type, output.Schema[name + "Rec"].Type);
        }

        // The estimator's promised shape has the same columns and types.
        var shape = estimator.GetOutputSchema(MLNetInterop.ShapeOf(data.Schema));
        Assert.True(MLNetInterop.TryFindColumn(shape, "ScoresRec", out var scores));
        Assert.True(MLNetInterop.IsCompatibleWith(MLNetInterop.ShapeOf(output.Schema).Single(c => c.Name == "ScoresRec"), scores));

        var age = output.GetColumn<double>("AgeRec").ToArray();
        var ageRmse = Math.Sqrt(rows.Select((r, i) => Math.Pow(r.Age - age[i], 2)).Average());
        var ageStd = Math.Sqrt(rows.Select(r => Math.Pow(r.Age - rows.Average(x => x.Age), 2)).Average());
        Assert.True(ageRmse < 0.35 * ageStd, $"age RMSE {ageRmse:F2}, std {ageStd:F2}");

        var member = output.GetColumn<bool>("MemberRec").ToArray();
        Assert.True(rows.Where((r, i) => r.Member == member[i]).Count() > 0.8 * rows.Count);

        // Two cities per cluster: the reconstruction must at least land in the row's cluster.
        var city = output.GetColumn<string>("CityRec").ToArray();
        Assert.All(city, c => Assert.Contains(c, MixedTable.Cities));
        var inCluster = rows.Where((r, i) => Array.IndexOf(MixedTable.Cities, city[i]) / 2 == r.Cluster).Count();
        Assert.True(inCluster > 0.8 * rows.Count, $"{inCluster} of {rows.Count} reconstructed cities in the row's cluster");

        // Reconstruction is the decoder's most likely value: the same as Decode at the posterior mean.
        var latent = RowReader.Vectors(output, "Latent");
        var decoded = model.Decode(latent.Take(20));
        Assert.Equal(city.Take(20), decoded.GetColumn<string>("City"));
        Assert.Equal(age.Take(20).Select(v => (float)v), decoded.GetColumn<double>("Age").Select(v => (float)v));
    }

    [Fact]
    public void OutputNamesThatCollideAreRejectedNamingTheOption()
    {
        var ml = new MLContext(seed: 2);
        var options = TrainedModelFixture.Options();
        options.ReconstructedColumnSuffix = string.Empty;
        options.ImputedColumnSuffix = string.Empty;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VariationalAutoencoder(options));
        Assert.Equal(nameof(options.ImputedColumnSuffix), error.ParamName);

        options = TrainedModelFixture.Options();
        options.ColumnErrorsColumnName = "Score";
        error = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.VariationalAutoencoder(options));
        Assert.Equal(nameof(options.ColumnErrorsColumnName), error.ParamName);
    }

    [Theory]
    [InlineData(VaeNumericEncoding.Standardize)]
    [InlineData(VaeNumericEncoding.Auto)]
    public void GeneratedNumbersHaveTheDataSpreadRangeAndPrecision(VaeNumericEncoding encoding)
    {
        // A column the latent code cannot explain (independent noise): the decoder's mean is nearly constant, so only
        // the model's noise gives generated rows the column's spread.
        var ml = new MLContext(seed: 4);
        var random = new Random(9);
        var rows = MixedTable.Rows(1500).Select(r => new MixedRow
        {
            Income = r.Income, Age = Math.Round(50 + (5 * MixedTable.Gaussian(random))), Scores = r.Scores, City = r.City, Member = r.Member,
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var options = TrainedModelFixture.Options();
        options.Epochs = 20;
        options.NumericEncoding = encoding;
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(data);

        var generated = model.Generate(3000, seed: 1).GetColumn<double>("Age").ToArray();
        static double Std(double[] v) => Math.Sqrt(v.Select(x => Math.Pow(x - v.Average(), 2)).Average());
        Assert.InRange(Std(generated) / 5, 0.8, 1.2);
        Assert.InRange(generated.Average(), 49, 51);

        // Generated values look like the column's: whole numbers within the range seen at fit.
        Assert.All(generated, v => Assert.Equal(Math.Round(v), v));
        Assert.InRange(generated.Min(), rows.Min(r => r.Age), 50);
        Assert.InRange(generated.Max(), 50, rows.Max(r => r.Age));

        // Standardised, the noise is the residual the decoder leaves: part of Age's spread, not all of it. (Auto makes
        // Age mode-specific, for its whole numbers near 50 that each hold 5% or more of the rows: the noise is then of
        // the place within a mode, which the latent code need not explain.)
        if (encoding == VaeNumericEncoding.Standardize)
        {
            var ageNoise = model.Weights.NumericNoise[1];
            Assert.InRange(ageNoise, 0.2, 0.95);
        }
        else
        {
            Assert.Equal(VaeNumericEncoding.ModeSpecific, model.Columns.Single(c => c.Name == "Age").NumericEncoding);
        }

        Assert.Equal(generated, model.Generate(3000, seed: 1).GetColumn<double>("Age"));
    }
}
