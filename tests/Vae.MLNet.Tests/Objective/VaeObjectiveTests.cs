using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Objective;

public sealed class VaeObjectiveTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void KlMatchesTheClosedFormByHand()
    {
        // Rows (mu, logvar): (1, 0) and (0.5, ln 2) in dimension 0; (0, 0) and (-2, -1) in dimension 1.
        using var mu = tensor(new float[] { 1f, 0f, 0.5f, -2f }, [2, 2]);
        using var logVar = tensor(new float[] { 0f, 0f, MathF.Log(2), -1f }, [2, 2]);
        using var kl = VaeObjective.Kl(mu, logVar);
        var values = kl.data<float>().ToArray();

        // 0.5 (mu^2 + e^lv - 1 - lv), averaged over the two rows.
        var d0 = ((0.5 * (1 + 1 - 1 - 0)) + (0.5 * (0.25 + 2 - 1 - Math.Log(2)))) / 2;
        var d1 = ((0.5 * (0 + 1 - 1 - 0)) + (0.5 * (4 + Math.Exp(-1) - 1 + 1))) / 2;
        Assert.Equal(d0, values[0], Tolerance);
        Assert.Equal(d1, values[1], Tolerance);
    }

    [Theory]
    [InlineData(0f, 0f, true)]
    [InlineData(0.1f, 0f, false)]
    [InlineData(0f, 0.1f, false)]
    [InlineData(0f, -0.1f, false)]
    [InlineData(-0.3f, 0.2f, false)]
    public void KlIsZeroExactlyAtTheStandardNormal(float muValue, float logVarValue, bool zero)
    {
        using var mu = full(3, 4, muValue);
        using var logVar = full(3, 4, logVarValue);
        using var kl = VaeObjective.Kl(mu, logVar);
        var values = kl.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v >= 0));
        Assert.Equal(zero, values.All(v => v == 0));
    }

    [Fact]
    public void KlIsNeverNegativeForExtremeInputs()
    {
        random.manual_seed(3);
        using var mu = randn(1000, 5) * 1e-4f;
        using var logVar = randn(1000, 5) * 1e-4f;
        using var kl = VaeObjective.Kl(mu, logVar);
        Assert.All(kl.data<float>().ToArray(), v => Assert.True(v >= 0));
    }

    [Fact]
    public void ReparameterisationHasTheRequestedMeanAndVariance()
    {
        using var generator = new Generator(11);
        using var mu = full(200_000, 1, 1.5f);
        using var logVar = full(200_000, 1, MathF.Log(4f)); // sigma = 2
        using var z = VaeObjective.Reparameterize(mu, logVar, generator);
        Assert.Equal(1.5, z.mean().item<float>(), 0.02);
        Assert.Equal(4.0, z.var().item<float>(), 0.05);
    }

    [Fact]
    public void CrossEntropyAndBinaryCrossEntropyMatchHandValues()
    {
        // Layout: a 3-category column at [0, 3) and a binary column at 3.
        var encoding = new ColumnEncoding([
            Categorical("colour", 0, 3),
            new EncodedColumn("flag", VaeColumnKind.Binary, 1.0, new SourceType(ItemKind.Boolean, default, 0, 0), 3, 1, [], [], []),
        ]);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var output = tensor(new float[] { 1f, 2f, 3f, 0.5f }, [1, 4]);
        using var target = tensor(new float[] { 0f, 1f, 0f, 1f }, [1, 4]);
        using var mu = zeros(1, 2);
        using var logVar = zeros(1, 2);
        var parts = VaeObjective.Compute(output, target, mu, logVar, layout, 1.0, 0);
        var reconstruction = parts.Reconstruction.data<float>().ToArray();

        var logSumExp = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(logSumExp - 2, reconstruction[0], Tolerance);                 // -log softmax(2)
        Assert.Equal(Math.Log(1 + Math.Exp(-0.5)), reconstruction[1], Tolerance); // -log sigmoid(0.5)
        Assert.Equal(reconstruction.Sum(), parts.Total.item<float>(), Tolerance);  // KL is 0 at mu=0, logvar=0
    }

    [Fact]
    public void CategoricalGroupsOfDifferentWidthsMatchPerColumnSoftmax()
    {
        // Widths 2, 3, 5 and 30 land in different padded groups; each must equal its own unpadded cross-entropy.
        int[] widths = [2, 3, 5, 30];
        var columns = new List<EncodedColumn>();
        var offset = 0;
        for (var i = 0; i < widths.Length; i++)
        {
            columns.Add(Categorical($"c{i}", offset, widths[i]));
            offset += widths[i];
        }

        var encoding = new ColumnEncoding(columns);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        random.manual_seed(5);
        using var output = randn(8, offset);
        var targetValues = new float[8 * offset];
        var rng = new Random(1);
        for (var r = 0; r < 8; r++)
        {
            foreach (var c in columns)
            {
                targetValues[(r * offset) + c.Offset + rng.Next(c.Width)] = 1f;
            }
        }

        using var target = tensor(targetValues, [8, offset]);
        using var mu = zeros(8, 1);
        using var logVar = zeros(8, 1);
        var parts = VaeObjective.Compute(output, target, mu, logVar, layout, 1.0, 0);
        var reconstruction = parts.Reconstruction.data<float>().ToArray();
        for (var i = 0; i < columns.Count; i++)
        {
            var c = columns[i];
            using var logits = output.narrow(1, c.Offset, c.Width);
            using var classes = target.narrow(1, c.Offset, c.Width).argmax(1);
            using var expected = nn.functional.cross_entropy(logits, classes);
            Assert.Equal(expected.item<float>(), reconstruction[i], 1e-4f);
        }
    }

    [Fact]
    public void ColumnMeanMakesAWideOneHotColumnCountLikeOneNumber()
    {
        // A numeric column and a 30-category column with the same per-feature error e: under Sum the wide column
        // counts 30 times, under ColumnMean once, like the number.
        const int Categories = 30;
        var encoding = new ColumnEncoding([
            new EncodedColumn("x", VaeColumnKind.Numeric, 1.0, new SourceType(ItemKind.Single, default, 0, 0), 0, 1, [0f], [1f], []),
            Categorical("city", 1, Categories),
        ]);
        // Uniform logits: each one-hot feature's term -y_k log p_k sums to log(30); per feature log(30)/30.
        var perFeature = Math.Log(Categories) / Categories;
        var outputValues = new float[1 + Categories];
        outputValues[0] = (float)Math.Sqrt(perFeature); // squared error of the number = perFeature
        var targetValues = new float[1 + Categories];
        targetValues[1 + 7] = 1f;

        using var output = tensor(outputValues, [1, 1 + Categories]);
        using var target = tensor(targetValues, [1, 1 + Categories]);
        using var mu = zeros(1, 1);
        using var logVar = zeros(1, 1);

        using var sumLayout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        var sum = VaeObjective.Compute(output, target, mu, logVar, sumLayout, 1, 0).Reconstruction.data<float>().ToArray();
        Assert.Equal(Categories, sum[1] / sum[0], 1e-3);

        using var meanLayout = new LossLayout(encoding, VaeReconstructionReduction.ColumnMean, CPU);
        var mean = VaeObjective.Compute(output, target, mu, logVar, meanLayout, 1, 0).Reconstruction.data<float>().ToArray();
        Assert.Equal(perFeature, mean[0], 1e-5);
        Assert.Equal(mean[0], mean[1], 1e-5);
    }

    [Fact]
    public void ColumnWeightsScaleTheirColumnOnly()
    {
        var encoding = new ColumnEncoding([
            new EncodedColumn("a", VaeColumnKind.Numeric, 3.0, new SourceType(ItemKind.Single, default, 0, 0), 0, 1, [0f], [1f], []),
            new EncodedColumn("b", VaeColumnKind.Numeric, 1.0, new SourceType(ItemKind.Single, default, 0, 0), 1, 1, [0f], [1f], []),
        ]);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var output = tensor(new float[] { 1f, 1f }, [1, 2]);
        using var target = zeros(1, 2);
        using var mu = zeros(1, 1);
        using var logVar = zeros(1, 1);
        var reconstruction = VaeObjective.Compute(output, target, mu, logVar, layout, 1, 0).Reconstruction.data<float>().ToArray();
        Assert.Equal(3f, reconstruction[0], Tolerance);
        Assert.Equal(1f, reconstruction[1], Tolerance);
    }

    [Fact]
    public void FreeBitsFloorEachDimensionInTheObjectiveOnly()
    {
        var encoding = new ColumnEncoding([
            new EncodedColumn("a", VaeColumnKind.Numeric, 1.0, new SourceType(ItemKind.Single, default, 0, 0), 0, 1, [0f], [1f], []),
        ]);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var output = zeros(1, 1);
        using var target = zeros(1, 1);
        // Dimension 0: KL 0.5 * 0.04 = 0.02 (below the floor); dimension 1: KL 0.5 * 4 = 2 (above).
        using var mu = tensor(new float[] { 0.2f, 2f }, [1, 2]);
        using var logVar = zeros(1, 2);
        var parts = VaeObjective.Compute(output, target, mu, logVar, layout, 1.0, freeBits: 0.5);
        Assert.Equal(0.5 + 2.0, parts.Total.item<float>(), Tolerance);
        Assert.Equal(new[] { 0.02f, 2f }, parts.Kl.data<float>().ToArray(), new FloatComparer(Tolerance));

        var noFloor = VaeObjective.Compute(output, target, mu, logVar, layout, 1.0, freeBits: 0);
        Assert.Equal(0.02 + 2.0, noFloor.Total.item<float>(), Tolerance);
    }

    [Fact]
    public void GaussianNllUsesTheLearnedVarianceAndMayGoNegative()
    {
        var encoding = new ColumnEncoding([
            new EncodedColumn("a", VaeColumnKind.Numeric, 1.0, new SourceType(ItemKind.Single, default, 0, 0), 0, 1, [0f], [1f], []),
        ]);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var output = tensor(new float[] { 0.1f }, [1, 1]);
        using var target = zeros(1, 1);
        using var mu = zeros(1, 1);
        using var logVar = zeros(1, 1);
        using var learned = tensor(new float[] { 2 * MathF.Log(0.05f) }); // sigma = 0.05
        var parts = VaeObjective.Compute(output, target, mu, logVar, layout, 1.0, 0, learned);
        var expected = 0.5 * ((0.01 / 0.0025) + (2 * Math.Log(0.05)) + Math.Log(2 * Math.PI));
        Assert.Equal(expected, parts.Reconstruction.data<float>()[0], 1e-4);
        Assert.True(expected < 0);
    }

    internal static EncodedColumn Categorical(string name, int offset, int width) => new(
        name, VaeColumnKind.Categorical, 1.0, new SourceType(ItemKind.Key, ItemKind.UInt32, (ulong)width, 0), offset, width, [], [],
        Enumerable.Range(1, width).Select(i => i.ToString()).ToArray());

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
