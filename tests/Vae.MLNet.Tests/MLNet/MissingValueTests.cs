using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

/// <summary>One model fitted on a table with 20% of its A, City, Segment and Flag values missing.</summary>
public sealed class IncompleteModelFixture
{
    public IncompleteModelFixture()
    {
        Ml = new MLContext(seed: 5);
        (Complete, Holed) = IncompleteTable.Rows(900, missing: 0.2);
        Data = IncompleteTable.Load(Ml, Holed);
        Model = Ml.Transforms.VariationalAutoencoder(IncompleteTable.Options()).Fit(Data);
        Output = Model.Transform(Data);
    }

    public MLContext Ml { get; }

    public List<IncompleteRow> Complete { get; }

    public List<IncompleteRow> Holed { get; }

    public IDataView Data { get; }

    public VariationalAutoencoderTransformer Model { get; }

    public IDataView Output { get; }
}

public sealed class MissingValueTests(IncompleteModelFixture fixture) : IClassFixture<IncompleteModelFixture>
{
    [Fact]
    public void MissingValuesAreRejectedByDefaultNamingTheColumnAndTheOption()
    {
        var ml = new MLContext(seed: 1);
        var options = IncompleteTable.Options();
        options.AllowMissingValues = false;
        options.ImputedColumnSuffix = null;
        var error = Assert.Throws<InvalidOperationException>(() => ml.Transforms.VariationalAutoencoder(options).Fit(fixture.Data));
        Assert.Matches("Column '(A|City|Segment|Flag)' has .* at row [0-9]+", error.Message);
        Assert.Contains("AllowMissingValues", error.Message);
    }

    [Fact]
    public void StatisticsAndCategoriesAreLearnedFromObservedValuesOnly()
    {
        var a = fixture.Model.Columns.Single(c => c.Name == "A");
        var observed = fixture.Holed.Where(r => !float.IsNaN(r.A)).Select(r => (double)r.A).ToArray();
        Assert.InRange(observed.Length, 600, 800);
        Assert.Equal(observed.Average(), a.Means[0], 3);
        var std = Math.Sqrt(observed.Select(v => (v - observed.Average()) * (v - observed.Average())).Average());
        Assert.Equal(std, a.StandardDeviations[0], 3);
        var city = fixture.Model.Columns.Single(c => c.Name == "City");
        Assert.Equal(4, city.Categories.Count);
        Assert.Equal(IncompleteTable.Cities.Order(), city.Categories.Take(3).Order());
        Assert.Equal(VaeColumnInfo.OtherCategory, city.Categories[3]);
    }

    [Fact]
    public void MissingValuesTakeNoReconstructionLossAndEveryOutputIsFinite()
    {
        var errors = RowsOf(fixture.Output, "Errors");
        var scores = fixture.Output.GetColumn<float>("Score").ToArray();
        Assert.All(scores, s => Assert.True(float.IsFinite(s) && s >= 0));
        Assert.All(RowsOf(fixture.Output, "Latent"), row => Assert.All(row, v => Assert.True(float.IsFinite(v))));
        for (var i = 0; i < fixture.Holed.Count; i++)
        {
            var row = fixture.Holed[i];
            Assert.Equal(float.IsNaN(row.A), errors[i][0] == 0);
            Assert.True(errors[i][1] > 0);
            Assert.Equal(row.City == "?", errors[i][2] == 0);
            Assert.Equal(row.Segment == 0, errors[i][3] == 0);
            Assert.Equal(float.IsNaN(row.Flag), errors[i][4] == 0);
        }

        var error = fixture.Output.GetColumn<float>("Error").ToArray();
        Assert.All(errors.Zip(error), p => Assert.Equal(p.Second, p.First.Sum(), 3));
        VBuffer<ReadOnlyMemory<char>> slots = default;
        fixture.Output.Schema["Errors"].GetSlotNames(ref slots);
        Assert.Equal(["A", "B", "City", "Segment", "Flag"], slots.DenseValues().Select(s => s.ToString()));
    }

    [Fact]
    public void ImputedColumnsKeepObservedValuesAndFillMissingOnesBetterThanMeanOrMode()
    {
        var output = fixture.Output;
        Assert.Equal(NumberDataViewType.Single, output.Schema["AImputed"].Type);
        Assert.Equal(TextDataViewType.Instance, output.Schema["CityImputed"].Type);
        Assert.Equal(fixture.Data.Schema["Segment"].Type, output.Schema["SegmentImputed"].Type);
        var a = output.GetColumn<float>("AImputed").ToArray();
        var city = output.GetColumn<string>("CityImputed").ToArray();
        var segment = output.GetColumn<uint>("SegmentImputed").ToArray();
        var flag = output.GetColumn<float>("FlagImputed").ToArray();

        double squared = 0, meanSquared = 0;
        int hiddenA = 0, hiddenCity = 0, cityRight = 0, hiddenSegment = 0, segmentRight = 0;
        var meanA = fixture.Holed.Where(r => !float.IsNaN(r.A)).Average(r => r.A);
        for (var i = 0; i < a.Length; i++)
        {
            var (holed, truth) = (fixture.Holed[i], fixture.Complete[i]);
            if (float.IsNaN(holed.A))
            {
                hiddenA++;
                squared += Math.Pow(a[i] - truth.A, 2);
                meanSquared += Math.Pow(meanA - truth.A, 2);
            }
            else
            {
                Assert.Equal(holed.A, a[i]);
            }

            if (holed.City == "?")
            {
                hiddenCity++;
                cityRight += city[i] == truth.City ? 1 : 0;
                Assert.NotEqual(VaeColumnInfo.OtherCategory, city[i]);
            }
            else
            {
                Assert.Equal(holed.City, city[i]);
            }

            if (holed.Segment == 0)
            {
                hiddenSegment++;
                segmentRight += segment[i] == truth.Segment ? 1 : 0;
            }
            else
            {
                Assert.Equal(holed.Segment, segment[i]);
            }

            Assert.True(float.IsNaN(holed.Flag) ? flag[i] is > 0 and < 1 : flag[i] == holed.Flag);
        }

        var rmse = Math.Sqrt(squared / hiddenA);
        var meanRmse = Math.Sqrt(meanSquared / hiddenA);
        Assert.True(rmse < 0.4 * meanRmse, $"imputation RMSE {rmse:F2} vs mean imputation {meanRmse:F2}");
        Assert.True(cityRight > 0.7 * hiddenCity, $"city imputed right {cityRight}/{hiddenCity}");
        Assert.True(segmentRight > 0.8 * hiddenSegment, $"segment imputed right {segmentRight}/{hiddenSegment}");
    }

    [Fact]
    public void AnEmptyImputationSuffixReplacesTheInputColumns()
    {
        var options = IncompleteTable.Options();
        options.ImputedColumnSuffix = string.Empty;
        options.ReconstructedColumnSuffix = null;
        options.Epochs = 2;
        var model = fixture.Ml.Transforms.VariationalAutoencoder(options).Fit(fixture.Data);
        var output = model.Transform(fixture.Data);
        Assert.DoesNotContain(output.GetColumn<float>("A"), float.IsNaN);
        Assert.DoesNotContain("?", output.GetColumn<string>("City"));
        Assert.DoesNotContain(0u, output.GetColumn<uint>("Segment"));
    }

    [Fact]
    public void RowByRowMappingGivesTheBatchedImputationsAndReconstructionsExactly()
    {
        var names = new[] { "AImputed", "BRec", "FlagImputed" };
        var mapper = fixture.Model.GetRowToRowMapper(fixture.Data.Schema);
        var columns = names.Select(n => mapper.OutputSchema[n]).ToArray();
        using var input = fixture.Data.GetRowCursor(mapper.GetDependencies(columns));
        using var row = mapper.GetRow(input, columns);
        var a = row.GetGetter<float>(columns[0]);
        var b = row.GetGetter<double>(columns[1]);
        var flag = row.GetGetter<float>(columns[2]);
        var batchedA = fixture.Output.GetColumn<float>("AImputed").ToArray();
        var batchedB = fixture.Output.GetColumn<double>("BRec").ToArray();
        var batchedFlag = fixture.Output.GetColumn<float>("FlagImputed").ToArray();
        var i = 0;
        float va = 0, vf = 0;
        double vb = 0;
        while (input.MoveNext())
        {
            a(ref va);
            b(ref vb);
            flag(ref vf);
            Assert.Equal(batchedA[i], va);
            Assert.Equal(batchedB[i], vb);
            Assert.Equal(batchedFlag[i], vf);
            i++;
        }

        Assert.Equal(batchedA.Length, i);
    }

    [Fact]
    public void SavedAndLoadedModelKeepsTheMissingValuePolicyAndItsOutputs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vae-missing-{Guid.NewGuid():N}.zip");
        try
        {
            fixture.Ml.Model.Save(fixture.Model, fixture.Data.Schema, path);
            var loaded = fixture.Ml.Model.Load(path, out _);
            var output = loaded.Transform(fixture.Data);
            Assert.Equal(fixture.Output.GetColumn<float>("AImputed"), output.GetColumn<float>("AImputed"));
            Assert.Equal(fixture.Output.GetColumn<string>("CityRec"), output.GetColumn<string>("CityRec"));
            Assert.Equal(fixture.Output.GetColumn<float>("Score"), output.GetColumn<float>("Score"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static float[][] RowsOf(IDataView data, string column) =>
        data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();
}
