using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Internals;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

public sealed class EstimatorTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>
{
    private readonly MLContext _ml = fixture.Ml;

    [Fact]
    public void TransformAppendsLatentFeaturesAndPassesInputsThrough()
    {
        var output = fixture.Model.Transform(fixture.Data);
        foreach (var name in new[] { "Income", "Age", "Scores", "City", "Member", "Cluster" })
        {
            Assert.Equal(fixture.Data.Schema[name].Type, output.Schema[name].Type);
        }

        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), output.Schema["Latent"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), output.Schema["LogVar"].Type);
        Assert.Equal(NumberDataViewType.Single, output.Schema["Score"].Type);
        var latent = RowReader.Vectors(output, "Latent");
        Assert.Equal(400, latent.Length);
        Assert.All(latent, row => Assert.All(row, v => Assert.True(float.IsFinite(v))));
        var scores = RowReader.Scalars(output, "Score");
        var errors = RowReader.Scalars(output, "Error");
        Assert.All(scores.Zip(errors), p => Assert.True(p.First >= p.Second && p.Second >= 0));
        Assert.Equal(fixture.Data.GetColumn<string>("City"), output.GetColumn<string>("City"));

        VBuffer<ReadOnlyMemory<char>> slots = default;
        output.Schema["Latent"].GetSlotNames(ref slots);
        Assert.Equal(["z0", "z1", "z2"], slots.DenseValues().Select(s => s.ToString()));
    }

    [Fact]
    public void EstimatorShapeMatchesTransformerAndCursorSchemas()
    {
        var shape = fixture.Estimator.GetOutputSchema(MLNetInterop.ShapeOf(fixture.Data.Schema));
        var schema = fixture.Model.GetOutputSchema(fixture.Data.Schema);
        var output = fixture.Model.Transform(fixture.Data);
        using var cursor = output.GetRowCursor(output.Schema);
        Assert.Equal(schema.Select(c => (c.Name, c.Type)), cursor.Schema.Select(c => (c.Name, c.Type)));
        var actual = MLNetInterop.ShapeOf(schema);
        Assert.Equal(shape.Count(), actual.Count());
        foreach (var column in actual)
        {
            Assert.True(MLNetInterop.TryFindColumn(shape, column.Name, out var expected), column.Name);
            Assert.True(MLNetInterop.IsCompatibleWith(column, expected) && MLNetInterop.IsCompatibleWith(expected, column), column.Name);
        }
    }

    [Fact]
    public void BatchedTransformEqualsRowByRowMappingAndPredictionEngine()
    {
        var batched = RowReader.Vectors(fixture.Model.Transform(fixture.Data), "Latent");
        var mapper = fixture.Model.GetRowToRowMapper(fixture.Data.Schema);
        var latentColumn = mapper.OutputSchema["Latent"];
        using var input = fixture.Data.GetRowCursor(mapper.GetDependencies([latentColumn]));
        using var row = mapper.GetRow(input, [latentColumn]);
        var getter = row.GetGetter<VBuffer<float>>(latentColumn);
        var value = default(VBuffer<float>);
        var i = 0;
        while (input.MoveNext())
        {
            getter(ref value);
            Assert.Equal(batched[i++], value.DenseValues().ToArray());
        }

        Assert.Equal(batched.Length, i);

        var engine = _ml.Model.CreatePredictionEngine<MixedRow, LatentPrediction>(fixture.Model);
        var rows = MixedTable.Rows(400, seed: 7);
        foreach (var r in new[] { 0, 1, 57, 399 })
        {
            Assert.Equal(batched[r], engine.Predict(rows[r]).Latent);
        }
    }

    [Fact]
    public void LatentFeaturesSeparateTheHiddenClusters()
    {
        var output = fixture.Model.Transform(fixture.Data);
        var latent = RowReader.Vectors(output, "Latent");
        var clusters = fixture.Data.GetColumn<int>("Cluster").ToArray();
        // Nearest-centroid accuracy on the latent means: the clusters must be linearly obvious.
        var centroids = Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 3)
            .Select(j => latent.Where((_, i) => clusters[i] == c).Average(v => v[j])).ToArray()).ToArray();
        var correct = latent.Select((v, i) => Enumerable.Range(0, 3)
            .OrderBy(c => centroids[c].Zip(v, (a, b) => (a - b) * (a - b)).Sum()).First() == clusters[i]).Count(ok => ok);
        Assert.True(correct > 0.9 * latent.Length, $"{correct} of {latent.Length}");
    }

    [Fact]
    public void HistoryAndColumnEncodingAreExposed()
    {
        Assert.Equal(8, fixture.Model.TrainingHistory.Count);
        Assert.Equal(["Income", "Age", "Scores", "City", "Member"], fixture.Model.Columns.Select(c => c.Name));
        Assert.Equal(VaeColumnKind.Binary, fixture.Model.Columns[4].Kind);
        Assert.Equal(2.0, fixture.Model.Columns[4].Weight);
        Assert.Contains("Oslo", fixture.Model.Columns[3].Categories);
        Assert.Equal(3, fixture.Model.LatentDimension);
    }

    [Fact]
    public void ProgressIsLoggedPerEpochAndCancelExecutionStopsFit()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.RawMessage.StartsWith("epoch ", StringComparison.Ordinal))
            {
                messages.Add(e.RawMessage);
                if (messages.Count == 2)
                {
                    MLNetInterop.CancelExecution(ml);
                }
            }
        };
        var options = TrainedModelFixture.Options();
        options.Epochs = 50;
        var estimator = ml.Transforms.VariationalAutoencoder(options);
        Assert.Throws<OperationCanceledException>(() => estimator.Fit(MixedTable.Load(ml, 300)));
        Assert.Equal(2, messages.Count);
        Assert.StartsWith("epoch 1: loss=", messages[0]);
    }

    [Fact]
    public void TheSeedDefaultsToTheMLContexts()
    {
        float[][] Fit(int seed)
        {
            var ml = new MLContext(seed);
            var options = TrainedModelFixture.Options();
            options.Epochs = 2;
            var data = MixedTable.Load(ml, 200);
            return RowReader.Vectors(ml.Transforms.VariationalAutoencoder(options).Fit(data).Transform(data), "Latent");
        }

        Assert.Equal(Fit(11), Fit(11));
        Assert.NotEqual(Fit(11), Fit(12));
    }

    [Fact]
    public void SimpleOverloadInfersKinds()
    {
        var model = _ml.Transforms.VariationalAutoencoder("Z", ["Income", "City", "Member"], latentDimension: 2).Fit(fixture.Data);
        Assert.Equal([VaeColumnKind.Numeric, VaeColumnKind.Categorical, VaeColumnKind.Binary], model.Columns.Select(c => c.Kind));
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 2), model.GetOutputSchema(fixture.Data.Schema)["Z"].Type);
        Assert.Equal(VariationalAutoencoderEstimator.Defaults.Epochs, model.TrainingHistory.Count);
    }

    [Fact]
    public void DecodeAndGenerateGiveRowsInTheOriginalTypes()
    {
        var decoded = fixture.Model.Decode([[0f, 0f, 0f], [1f, -1f, 0.5f]]);
        Assert.Equal(NumberDataViewType.Single, decoded.Schema["Income"].Type);
        Assert.Equal(NumberDataViewType.Double, decoded.Schema["Age"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 3), decoded.Schema["Scores"].Type);
        Assert.Equal(TextDataViewType.Instance, decoded.Schema["City"].Type);
        Assert.Equal(BooleanDataViewType.Instance, decoded.Schema["Member"].Type);
        var incomes = decoded.GetColumn<float>("Income").ToArray();
        Assert.All(incomes, v => Assert.InRange(v, 0, 150_000));

        var generated = fixture.Model.Generate(500, seed: 4);
        var cities = generated.GetColumn<string>("City").ToArray();
        Assert.Equal(500, cities.Length);
        Assert.True(cities.Distinct().Count() >= 4);
        Assert.Equal(cities, fixture.Model.Generate(500, seed: 4).GetColumn<string>("City"));
        var meanIncome = generated.GetColumn<float>("Income").Average();
        Assert.InRange(meanIncome, 35_000, 65_000); // data mean ~50,000
    }

    private sealed class LatentPrediction
    {
        [VectorType(3)]
        public float[] Latent { get; set; } = [];
    }
}
