using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Columns;

public sealed class ColumnEncodingTests
{
    private readonly MLContext _ml = new(seed: 1);

    /// <summary>Numeric columns standardised (NumericModesTests has the mode-specific encoding).</summary>
    private static (ColumnEncoding Encoding, EncodedMatrix Matrix) Encode(IDataView data, int maxCategories, params VaeColumn[] columns)
    {
        var requests = ColumnResolver.Resolve(data.Schema, columns, "columns", VaeNumericEncoding.Standardize);
        var encoding = ColumnEncodingFitter.Fit(data, requests, maxCategories);
        return (encoding, ColumnEncodingFitter.Encode(data, encoding));
    }

    [Fact]
    public void KindsAreInferredFromTypesAndSpansFollowEachOther()
    {
        var data = MixedTable.Load(_ml, 50);
        var (encoding, matrix) = Encode(data, 100, "Income", "Scores", "City", "Member");
        Assert.Equal([VaeColumnKind.Numeric, VaeColumnKind.Numeric, VaeColumnKind.Categorical, VaeColumnKind.Binary], encoding.Columns.Select(c => c.Kind));
        Assert.Equal([0, 1, 4, 11], encoding.Columns.Select(c => c.Offset));
        Assert.Equal([1, 3, 7, 1], encoding.Columns.Select(c => c.Width)); // 6 cities + the other bucket
        Assert.Equal(12, encoding.Width);
        Assert.Equal(50, matrix.Rows);
        Assert.Equal(50 * 12, matrix.Values.Length);
    }

    [Fact]
    public void NumericColumnsAreStandardisedAndConstantOnesEncodeToZero()
    {
        var rows = new[] { 1f, 2f, 3f, 4f }.Select(v => new { X = v, C = 5.0 }).ToList();
        var data = _ml.Data.LoadFromEnumerable(rows);
        var (encoding, matrix) = Encode(data, 10, "X", "C");
        Assert.Equal(2.5f, encoding.Columns[0].Means[0]);
        Assert.Equal(Math.Sqrt(1.25), encoding.Columns[0].Stds[0], 1e-6);
        Assert.Equal(1f, encoding.Columns[1].Stds[0]);
        var x = Enumerable.Range(0, 4).Select(r => matrix.Values[r * 2]).ToArray();
        Assert.Equal(0, x.Average(), 1e-6);
        Assert.Equal(1, Math.Sqrt(x.Select(v => v * v).Average()), 1e-5);
        Assert.All(Enumerable.Range(0, 4), r => Assert.Equal(0f, matrix.Values[(r * 2) + 1]));
    }

    [Fact]
    public void TextCategoriesAreCappedByFrequencyWithAnOtherBucket()
    {
        var values = new[] { "a", "a", "a", "b", "b", "c", "d" };
        var data = _ml.Data.LoadFromEnumerable(values.Select(v => new { T = v }));
        var (encoding, matrix) = Encode(data, maxCategories: 2, "T");
        Assert.Equal(["a", "b", VaeColumnInfo.OtherCategory], encoding.Columns[0].Categories);
        var positions = Enumerable.Range(0, values.Length).Select(r => Array.IndexOf(matrix.Values, 1f, r * 3, 3) - (r * 3)).ToArray();
        Assert.Equal([0, 0, 0, 1, 1, 2, 2], positions);
        Assert.Equal(2, encoding.Columns[0].CategoryOf("never seen"));
    }

    [Fact]
    public void KeyColumnsUseTheirKeyValuesAsCategoryNames()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { "x", "y", "x", "z" }.Select(v => new { T = v }));
        var keyed = _ml.Transforms.Conversion.MapValueToKey("K", "T").Fit(data).Transform(data);
        var (encoding, matrix) = Encode(keyed, 100, "K");
        Assert.Equal(["x", "y", "z"], encoding.Columns[0].Categories);
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 0f], matrix.Values.Take(6));
    }

    [Fact]
    public void BinaryValuesOutsideZeroOneAreRejectedWithColumnAndRow()
    {
        var data = _ml.Data.LoadFromEnumerable(new[] { 0f, 1f, 0.5f, 1.5f }.Select(v => new { P = v }));
        var error = Assert.Throws<InvalidOperationException>(() => Encode(data, 10, new VaeColumn("P", VaeColumnKind.Binary)));
        Assert.Contains("'P'", error.Message);
        Assert.Contains("row 3", error.Message);
        Assert.Contains("[0, 1]", error.Message);
    }

    [Fact]
    public void NonFiniteNumbersAreRejectedWithColumnRowAndSlot()
    {
        var rows = new[] { new VectorRow { V = [1, 2] }, new VectorRow { V = [3, float.NaN] } };
        var data = _ml.Data.LoadFromEnumerable(rows);
        var error = Assert.Throws<InvalidOperationException>(() => Encode(data, 10, "V"));
        Assert.Contains("'V'", error.Message);
        Assert.Contains("row 1", error.Message);
        Assert.Contains("slot 1", error.Message);
    }

    [Fact]
    public void AnEncodingSurvivesWriteAndRead()
    {
        var data = MixedTable.Load(_ml, 30);
        var (encoding, _) = Encode(data, 100, "Income", "Scores", "City", new VaeColumn("Member", weight: 2));
        using var stream = new MemoryStream();
        using (var writer = new Vae.MLNet.Persistence.ModelWriter(stream))
        {
            encoding.Write(writer);
        }

        stream.Position = 0;
        var read = ColumnEncoding.Read(new Vae.MLNet.Persistence.ModelReader(stream, utf16Strings: true));
        Assert.Equal(encoding.Width, read.Width);
        for (var i = 0; i < encoding.Columns.Count; i++)
        {
            var (a, b) = (encoding.Columns[i], read.Columns[i]);
            Assert.Equal((a.Name, a.Kind, a.Weight, a.Source, a.Offset, a.Width), (b.Name, b.Kind, b.Weight, b.Source, b.Offset, b.Width));
            Assert.Equal(a.Means, b.Means);
            Assert.Equal(a.Stds, b.Stds);
            Assert.Equal(a.Categories, b.Categories);
        }
    }

    private sealed class VectorRow
    {
        [VectorType(2)]
        public float[] V { get; set; } = [];
    }

    [Fact]
    public void VectorisedStandardisationEqualsTheValueByValueOneAndRefusesNonFiniteValues()
    {
        var random = new Random(4);
        foreach (var width in new[] { 1, 7, 16, 37, 100 })
        {
            var x = Enumerable.Range(0, width).Select(_ => (float)((random.NextDouble() - 0.5) * 1e4)).ToArray();
            var means = Enumerable.Range(0, width).Select(_ => (float)random.NextDouble()).ToArray();
            var inverseStds = Enumerable.Range(0, width).Select(_ => 1f / (float)(0.1 + random.NextDouble())).ToArray();
            var vectorised = new float[width];
            Assert.True(RowEncoder.TryStandardise(x, means, inverseStds, vectorised));
            Assert.Equal(x.Select((v, i) => (v - means[i]) * inverseStds[i]), vectorised);

            foreach (var bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            {
                var withBad = (float[])x.Clone();
                withBad[random.Next(width)] = bad;
                Assert.False(RowEncoder.TryStandardise(withBad, means, inverseStds, new float[width]));
            }

            // Finite inputs whose standardised value overflows a float are refused too.
            var tinyStds = Enumerable.Repeat(1f / 1e-30f, width).ToArray();
            var huge = Enumerable.Repeat(3e38f, width).ToArray();
            Assert.False(RowEncoder.TryStandardise(huge, new float[width], tinyStds, new float[width]));
        }
    }

    [Fact]
    public void VectorisedBinaryCheckTakesExactlyTheUnitInterval()
    {
        var random = new Random(6);
        foreach (var width in new[] { 1, 7, 16, 37, 784 })
        {
            var x = Enumerable.Range(0, width).Select(i => i % 5 == 0 ? 0f : i % 5 == 1 ? 1f : (float)random.NextDouble()).ToArray();
            Assert.True(ValueChecks.AllBinary(x));
            foreach (var bad in new[] { float.NaN, -1e-7f, 1.0000001f, 2f, float.PositiveInfinity, float.NegativeInfinity })
            {
                foreach (var slot in new[] { 0, width - 1, random.Next(width) })
                {
                    var withBad = (float[])x.Clone();
                    withBad[slot] = bad;
                    Assert.False(ValueChecks.AllBinary(withBad));
                }
            }
        }
    }

    [Fact]
    public void AFloatVectorBinaryValueOutsideTheUnitIntervalIsNamedWithItsSlot()
    {
        var rows = Enumerable.Range(0, 20).Select(i => new VectorRow { V = [i % 2, i == 13 ? 1.25f : 0.5f] }).ToArray();
        var data = _ml.Data.LoadFromEnumerable(rows);
        var error = Assert.Throws<InvalidOperationException>(() =>
            _ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions { Columns = [new VaeColumn("V", VaeColumnKind.Binary)], Epochs = 1 }).Fit(data));
        Assert.Contains("'V'", error.Message);
        Assert.Contains("row 13", error.Message);
        Assert.Contains("slot 1", error.Message);
    }
}
