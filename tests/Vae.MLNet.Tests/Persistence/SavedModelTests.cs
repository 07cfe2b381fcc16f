using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.Persistence;

/// <summary>A model saved by an earlier version of the library (format 2, commit db9b0cd: numbers, a vector, text
/// with "?" as missing, a key, a weighted Boolean, missing values allowed, every output on), with the outputs that
/// version gave for 60 probe rows. Loaded by this version, it gives the same outputs: bit for bit, but for the
/// documented changes since (decoded numbers clipped to the range seen at fit, decoded text never the bucket of other
/// values, and the score and its parts computed by the training objective's single-precision kernels where that
/// version had a double-precision copy of them: equal within a relative 1e-6, measured between 1e-7 and 1e-6).</summary>
public sealed class SavedModelTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Persistence", "Saved");

    public sealed class SavedRow
    {
        public float Income { get; set; }

        public double Age { get; set; }

        [VectorType(2)]
        public float[] Scores { get; set; } = [];

        public string City { get; set; } = string.Empty;

        public uint Level { get; set; }

        public bool Member { get; set; }
    }

    public sealed record Expected(
        float Income, double Age, float[] Scores, string City, uint Level, bool Member,
        float[] Latent, float[] LogVar, float Score, float Error, float[] ColumnErrors,
        float IncomeRec, double AgeRec, string CityRec, uint LevelRec, bool MemberRec, float IncomeImp, string CityImp);

    [Fact]
    public void AFormatTwoModelLoadsAndGivesTheOutputsItGaveWhenSaved()
    {
        var ml = new MLContext(seed: 1);
        var expected = JsonSerializer.Deserialize<Expected[]>(
            File.ReadAllText(Path.Combine(Folder, "model-v2-outputs.json")),
            new JsonSerializerOptions { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals })!;
        var model = ml.Model.Load(Path.Combine(Folder, "model-v2.zip"), out _);
        var vae = Assert.IsType<VariationalAutoencoderTransformer>(model);

        var definition = SchemaDefinition.Create(typeof(SavedRow));
        definition["Level"].ColumnType = new KeyDataViewType(typeof(uint), 3);
        var rows = expected.Select(e => new SavedRow { Income = e.Income, Age = e.Age, Scores = e.Scores, City = e.City, Level = e.Level, Member = e.Member });
        var output = model.Transform(ml.Data.LoadFromEnumerable(rows, definition));
        var got = ml.Data.CreateEnumerable<Got>(output, reuseRowObject: false).ToArray();
        Assert.Equal(expected.Length, got.Length);

        var income = vae.Encoding.Columns.Single(c => c.Name == "Income");
        var age = vae.Encoding.Columns.Single(c => c.Name == "Age");
        for (var i = 0; i < expected.Length; i++)
        {
            var (e, g) = (expected[i], got[i]);
            Assert.Equal(e.Latent, g.Latent);
            Assert.Equal(e.LogVar, g.LogVar);
            Close(e.Score, g.Score);
            Close(e.Error, g.Error);
            Assert.All(e.ColumnErrors.Zip(g.ColumnErrors), p => Close(p.First, p.Second));
            Assert.Equal(e.LevelRec, g.LevelRec);
            Assert.Equal(e.MemberRec, g.MemberRec);
            Assert.Equal(Math.Clamp(e.IncomeRec, income.Minimums[0], income.Maximums[0]), g.IncomeRec);
            Assert.Equal(Math.Clamp(e.AgeRec, age.Minimums[0], age.Maximums[0]), g.AgeRec);
            Assert.Equal(float.IsNaN(e.Income) ? Math.Clamp(e.IncomeImp, income.Minimums[0], income.Maximums[0]) : e.IncomeImp, g.IncomeImp);
            if (e.CityRec != VaeColumnInfo.OtherCategory)
            {
                Assert.Equal(e.CityRec, g.CityRec);
            }

            Assert.NotEqual(VaeColumnInfo.OtherCategory, g.CityRec);
            Assert.Equal(e.City == "?" && e.CityImp == VaeColumnInfo.OtherCategory ? g.CityRec : e.CityImp, g.CityImp);
        }
    }

    /// <summary>Single-precision sums of a few dozen terms against double-precision ones: a few ulps of the largest
    /// term, below 1e-6 of the total.</summary>
    private static void Close(float expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    private sealed class Got
    {
        [VectorType(3)]
        public float[] Latent { get; set; } = [];

        [VectorType(3)]
        public float[] LogVar { get; set; } = [];

        public float Score { get; set; }

        public float Error { get; set; }

        [VectorType(6)]
        public float[] ColumnErrors { get; set; } = [];

        public float IncomeRec { get; set; }

        public double AgeRec { get; set; }

        public string CityRec { get; set; } = string.Empty;

        public uint LevelRec { get; set; }

        public bool MemberRec { get; set; }

        public float IncomeImp { get; set; }

        public string CityImp { get; set; } = string.Empty;
    }
}
