using Microsoft.ML;

namespace Vae.MLNet.Tests.MLNet;

/// <summary>A table where one column determines two others: A (five categories, a4 held by 0.5% of rows) fixes
/// C's category in 95% of rows and B's mean. Generating with a condition on A must give A exactly and C and B as A
/// implies, which ignoring the condition could not. The model is fitted for it: missing-value indicators, 40% of the
/// cells hidden in training, and a KL weight of 0.25 for a sharper model of this small table; numbers standardised
/// (NumericModesTests conditions a mode-specific column).</summary>
public sealed class ConditionalGenerationTests(ConditionalGenerationTests.Model fixture) : IClassFixture<ConditionalGenerationTests.Model>
{
    public sealed class Row
    {
        public string A { get; set; } = string.Empty;

        public float B { get; set; }

        public string C { get; set; } = string.Empty;

        public float D { get; set; }
    }

    public sealed class Model
    {
        public Model()
        {
            var random = new Random(4);
            Rows = Enumerable.Range(0, 2000).Select(i =>
            {
                var k = i % 200 == 0 ? 4 : random.Next(4);
                return new Row
                {
                    A = $"a{k}",
                    B = (float)((10 * k) + Gaussian(random)),
                    C = random.NextDouble() < 0.95 ? $"c{k}" : $"c{random.Next(5)}",
                    D = (float)Gaussian(random),
                };
            }).ToList();
            Transformer = Ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
            {
                Columns = ["A", "B", "C", "D"],
                NumericEncoding = VaeNumericEncoding.Standardize,
                LatentDimension = 4,
                HiddenLayers = [64],
                Epochs = 100,
                Beta = 0.25,
                BatchSize = 64,
                LearningRate = 3e-3,
                AllowMissingValues = true,
                MaskingRate = 0.4,
            }).Fit(Ml.Data.LoadFromEnumerable(Rows));
        }

        public MLContext Ml { get; } = new(seed: 1);

        public List<Row> Rows { get; }

        public VariationalAutoencoderTransformer Transformer { get; }

        private static double Gaussian(Random random) =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    private Row[] Generate(int count, params VaeCondition[] conditions) =>
        fixture.Ml.Data.CreateEnumerable<Row>(fixture.Transformer.Generate(count, conditions, seed: 7), reuseRowObject: false).ToArray();

    [Fact]
    public void AConditionedCategoryHoldsInEveryRowAndTheColumnsItDeterminesFollow()
    {
        var rows = Generate(1000, VaeCondition.Equal("A", "a2"));
        Assert.All(rows, r => Assert.Equal("a2", r.A));
        var matching = rows.Count(r => r.C == "c2") / (double)rows.Length;
        Assert.True(matching > 0.8, $"C = c2 in {matching:P0} of the rows conditioned on A = a2");
        Assert.InRange(rows.Average(r => r.B), 17, 23);

        // Without the condition, C = c2 only where the prior happens to put A = a2: about a quarter of the rows.
        var free = fixture.Ml.Data.CreateEnumerable<Row>(fixture.Transformer.Generate(1000, seed: 7), reuseRowObject: false).ToArray();
        Assert.True(free.Count(r => r.C == "c2") / (double)free.Length < 0.45);
    }

    [Fact]
    public void ANumberInARangeIsDrawnWithinItAndTheCategoryItImpliesFollows()
    {
        var rows = Generate(500, VaeCondition.Between("B", 28, 32));
        Assert.All(rows, r => Assert.InRange(r.B, 28f, 32f));
        Assert.True(rows.Count(r => r.A == "a3") > 0.45 * rows.Length, $"A = a3 in {rows.Count(r => r.A == "a3")} of {rows.Length}");
        Assert.True(rows.Select(r => r.B).Distinct().Count() > 100, "the conditioned numbers are drawn, not one value");
    }

    [Fact]
    public void AConditionHeldByHalfAPercentOfTheRowsNeedsNoLuck()
    {
        Assert.Equal(10, fixture.Rows.Count(r => r.A == "a4"));
        var rows = Generate(1000, VaeCondition.Equal("A", "a4"), VaeCondition.Equal("D", 0.5));
        Assert.Equal(1000, rows.Length);
        Assert.All(rows, r => Assert.Equal(("a4", 0.5f), (r.A, r.D)));
        // c4 is 1.5% of the data; given a4 the model puts it in about half the rows (it learned a4 from ten rows).
        Assert.True(rows.Count(r => r.C == "c4") > 0.3 * rows.Length, $"C = c4 in {rows.Count(r => r.C == "c4")} of {rows.Length}");
    }

    [Theory]
    [InlineData("A", "a9", "names a category the column did not have at fit")]
    [InlineData("A", "<other>", "names a category the column did not have at fit")]
    [InlineData("Nope", "a1", "names no column of the model")]
    [InlineData("B", "a1", "gives a category for a numeric column")]
    public void AConditionTheModelCannotMeetIsRejectedNamingIt(string column, string category, string problem)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Transformer.Generate(10, [VaeCondition.Equal(column, category)]));
        Assert.Contains($"'{column} = {category}' {problem}", error.Message);
    }

    [Fact]
    public void NumbersOutsideTheFittedRangeAndTwoConditionsOnOneColumnAreRejected()
    {
        Assert.Contains("outside the range the column had at fit",
            Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Transformer.Generate(10, [VaeCondition.Equal("B", 1e6)])).Message);
        Assert.Contains("holds no value the column had at fit",
            Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Transformer.Generate(10, [VaeCondition.Between("B", 500, 600)])).Message);
        Assert.Contains("another condition already fixes",
            Assert.Throws<ArgumentOutOfRangeException>(() => fixture.Transformer.Generate(10, [VaeCondition.Equal("A", "a1"), VaeCondition.Equal("A", "a2")])).Message);
    }

    [Fact]
    public void AModelWithoutMissingValueIndicatorsSaysHowToFitForConditions()
    {
        var ml = new MLContext(seed: 1);
        using var plain = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions { Columns = ["A", "B"], Epochs = 1, HiddenLayers = [8] })
            .Fit(ml.Data.LoadFromEnumerable(fixture.Rows.Take(100)));
        var error = Assert.Throws<InvalidOperationException>(() => plain.Generate(10, [VaeCondition.Equal("A", "a1")]));
        Assert.Contains("AllowMissingValues", error.Message);
        Assert.Contains("MaskingRate", error.Message);
    }
}
