using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Objective;

/// <summary>The managed objective (CPU training) against the tensor form (<see cref="VaeObjective.Compute"/>), whose
/// gradient autograd works out: same loss per column and per dimension, same gradient with respect to every input.</summary>
public sealed class ManagedObjectiveTests
{
    public static TheoryData<int, bool, VaeReconstructionReduction, bool, double> Cases() => new()
    {
        { 1, false, VaeReconstructionReduction.Sum, false, 0 },
        { 2, true, VaeReconstructionReduction.Sum, false, 0 },
        { 3, false, VaeReconstructionReduction.ColumnMean, true, 0 },
        { 4, true, VaeReconstructionReduction.ColumnMean, true, 0.3 },
        { 5, true, VaeReconstructionReduction.Sum, true, 0.05 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsTheTensorFormInValueAndGradient(int seed, bool missing, VaeReconstructionReduction reduction, bool gaussian, double freeBits)
    {
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        var encoding = MixedEncoding(rng, missing);
        const int rows = 37, latent = 3;
        var x = RandomBatch(rng, encoding, rows);
        var numericCount = encoding.NumericFeatureCount;
        random.manual_seed(seed);
        var output = (randn(rows, encoding.Width) * 2).requires_grad_();
        // The last dimension nearly collapsed (mu ~ 0, log-variance 0), so free bits floor it and stop its gradient.
        var mu = cat([randn(rows, latent - 1), randn(rows, 1) * 0.05f], 1).requires_grad_();
        var logVar = cat([randn(rows, latent - 1) * 0.5f, zeros(rows, 1)], 1).requires_grad_();

        // Learned log-variances inside and outside their clamp, one on the upper bound (the initial value).
        var numericLogVar = gaussian
            ? tensor(Enumerable.Range(0, numericCount).Select(i => new[] { 0f, -1.5f, -12f, 0.7f }[i % 4]).ToArray()).requires_grad_()
            : null;
        const double beta = 0.7;

        // Reference: the tensor form and autograd.
        using var layout = new LossLayout(encoding, reduction, CPU);
        var (target, mask) = layout.TargetAndMask(x);
        var reference = VaeObjective.Compute(output, target, mu, logVar, layout, beta, freeBits, numericLogVar, mask);
        reference.Total.backward();
        var expected = new[] { output.grad!.clone(), mu.grad!.clone(), logVar.grad!.clone(), numericLogVar?.grad?.clone() };
        foreach (var t in new[] { output, mu, logVar, numericLogVar })
        {
            t?.grad?.zero_();
        }

        using var managed = new ManagedObjective(encoding, reduction);
        var loss = managed.Compute(output, x, mu, logVar, numericLogVar, beta, freeBits, withGradient: true);
        loss.Backward();

        Assert.Equal(reference.Total.item<float>(), (float)loss.Total, new Close(1e-5f));
        Assert.Equal(Floats(reference.Reconstruction), loss.Reconstruction.Select(v => (float)v).ToArray(), new Close(1e-3f));
        Assert.Equal(Floats(reference.Kl), loss.Kl.Select(v => (float)v).ToArray(), new Close(1e-4f));
        Assert.Equal(Floats(expected[0]!), Floats(output.grad!), new Close(1e-5f));
        Assert.Equal(Floats(expected[1]!), Floats(mu.grad!), new Close(1e-5f));
        Assert.Equal(Floats(expected[2]!), Floats(logVar.grad!), new Close(1e-5f));
        if (numericLogVar is not null)
        {
            Assert.Equal(Floats(expected[3]!), Floats(numericLogVar.grad!), new Close(1e-4f));
            Assert.Contains(Floats(numericLogVar.grad!), g => g == 0);   // the clamped one
        }

        if (freeBits > 0)
        {
            Assert.True(loss.Kl[2] < freeBits);
            Assert.All(Floats(mu.grad!.select(1, 2)), g => Assert.Equal(0f, g));
        }

        // Without the gradient: the same figures, and no backward.
        var evaluated = managed.Compute(output, x, mu, logVar, numericLogVar, beta, freeBits, withGradient: false);
        Assert.Equal(loss.Total, evaluated.Total, 1e-9);
        Assert.Throws<InvalidOperationException>(evaluated.Backward);
    }

    [Fact]
    public void TheTensorFormBehindTheSameInterfaceGivesTheSameLossAndGradient()
    {
        // The form other devices train with, run here on the CPU through the interface the trainer uses.
        using var scope = NewDisposeScope();
        var rng = new Random(11);
        var encoding = MixedEncoding(rng, missing: true);
        var x = RandomBatch(rng, encoding, 19);
        random.manual_seed(11);
        var output = randn(19, encoding.Width).requires_grad_();
        var mu = randn(19, 2).requires_grad_();
        var logVar = randn(19, 2).requires_grad_();
        var results = new List<(BatchLoss Loss, float[] Gradient)>();
        foreach (var objective in new BatchObjective[] { new TensorObjective(encoding, VaeReconstructionReduction.Sum, CPU), new ManagedObjective(encoding, VaeReconstructionReduction.Sum) })
        {
            using (objective)
            {
                output.grad?.zero_();
                var loss = objective.Compute(output, x, mu, logVar, null, 0.5, 0.01, withGradient: true);
                loss.Backward();
                results.Add((loss, Floats(output.grad!)));
            }
        }

        var (tensorForm, managed) = (results[0], results[1]);
        Assert.Equal((float)tensorForm.Loss.Total, (float)managed.Loss.Total, new Close(1e-5f));
        Assert.Equal(tensorForm.Loss.Reconstruction.Select(v => (float)v), managed.Loss.Reconstruction.Select(v => (float)v), new Close(1e-4f));
        Assert.Equal(tensorForm.Loss.Kl.Select(v => (float)v), managed.Loss.Kl.Select(v => (float)v), new Close(1e-4f));
        Assert.Equal(tensorForm.Gradient, managed.Gradient, new Close(1e-5f));
        Assert.Contains(managed.Gradient, g => g != 0);
    }

    [Fact]
    public void NamesTheColumnWhoseOutputIsNotFinite()
    {
        using var scope = NewDisposeScope();
        var encoding = MixedEncoding(new Random(9), missing: false);
        var x = RandomBatch(new Random(9), encoding, 4);
        var output = zeros(4, encoding.Width);
        var broken = encoding.Columns.Single(c => c.Name == "colour");
        output[2, broken.Offset + 1] = tensor(float.NaN);
        using var managed = new ManagedObjective(encoding, VaeReconstructionReduction.Sum);
        var loss = managed.Compute(output, x, zeros(4, 2), zeros(4, 2), null, 1, 0, withGradient: false);
        Assert.True(double.IsNaN(loss.Total));
        var names = encoding.Columns.Select(c => c.Name).ToArray();
        Assert.Equal(["colour"], names.Where((_, i) => !double.IsFinite(loss.Reconstruction[i])));
    }

    /// <summary>Numeric (two scalars and a 10-slot vector, one weighted), binary (11 slots), categorical of widths 2, 5
    /// and 30 (one weighted), in mixed order; with missing-value indicators when asked.</summary>
    private static ColumnEncoding MixedEncoding(Random rng, bool missing)
    {
        var specs = new (string Name, VaeColumnKind Kind, int Width, double Weight)[]
        {
            ("age", VaeColumnKind.Numeric, 1, 1), ("colour", VaeColumnKind.Categorical, 5, 1), ("flags", VaeColumnKind.Binary, 11, 1),
            ("pixels", VaeColumnKind.Numeric, 10, 2.5), ("height", VaeColumnKind.Numeric, 1, 1), ("yes", VaeColumnKind.Categorical, 2, 1), ("city", VaeColumnKind.Categorical, 30, 0.5),
        };
        var columns = new List<EncodedColumn>();
        var offset = 0;
        foreach (var (name, kind, width, weight) in specs.OrderBy(_ => rng.Next()))
        {
            columns.Add(kind == VaeColumnKind.Categorical
                ? new EncodedColumn(name, kind, weight, new SourceType(ItemKind.Key, ItemKind.UInt32, (ulong)width, 0), offset, width, [], [],
                    Enumerable.Range(1, width).Select(i => i.ToString()).ToArray())
                : new EncodedColumn(name, kind, weight, new SourceType(kind == VaeColumnKind.Binary ? ItemKind.Boolean : ItemKind.Single, default, 0, width), offset, width,
                    new float[width], Enumerable.Repeat(1f, width).ToArray(), []));
            offset += width;
        }

        // A mode-specific column: its standardised value, its place, and a point mass and two modes.
        var modes = new NumericModes([0], [0.6, 0.4], [1, 5], [0.5, 2]);
        columns.Insert(rng.Next(columns.Count + 1), new EncodedColumn("gain", VaeColumnKind.Numeric, 1.5, new SourceType(ItemKind.Single, default, 0, 0), 0, 2 + modes.Count, [0], [1], []) { Modes = modes });
        var placed = new List<EncodedColumn>();
        offset = 0;
        foreach (var column in columns)
        {
            placed.Add(new EncodedColumn(column.Name, column.Kind, column.Weight, column.Source, offset, column.Width, column.Means, column.Stds, column.Categories) { Modes = column.Modes });
            offset += column.Width;
        }

        return new ColumnEncoding(placed, missing ? [""] : null);
    }

    /// <summary>An encoder-input batch: standardised numbers, 0/1 (and fractional) binaries, one-hot categories; with
    /// indicators, about a fifth of the values missing (encoded 0, indicator 1; a missing category is all zero).</summary>
    private static Tensor RandomBatch(Random rng, ColumnEncoding encoding, int rows)
    {
        var values = new float[rows * encoding.InputWidth];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * encoding.InputWidth, encoding.InputWidth);
            for (var c = 0; c < encoding.Columns.Count; c++)
            {
                var column = encoding.Columns[c];
                var isMissing = encoding.AllowsMissing && rng.NextDouble() < 0.2;
                if (column.Modes is { } modes)
                {
                    if (isMissing)
                    {
                        row[encoding.IndicatorOffsets[c]] = 1;
                    }
                    else
                    {
                        row[column.Offset] = (float)(rng.NextDouble() * 4) - 2;
                        var component = rng.Next(modes.Count);
                        row[column.Offset + 1] = modes.IsPoint(component) ? 0 : (float)(rng.NextDouble() * 4) - 2;
                        row[column.Offset + 2 + component] = 1;
                    }

                    continue;
                }

                if (column.Kind == VaeColumnKind.Categorical)
                {
                    if (isMissing)
                    {
                        row[encoding.IndicatorOffsets[c]] = 1;
                    }
                    else
                    {
                        row[column.Offset + rng.Next(column.Width)] = 1;
                    }

                    continue;
                }

                for (var i = 0; i < column.Width; i++)
                {
                    var slotMissing = encoding.AllowsMissing && rng.NextDouble() < 0.2;
                    if (slotMissing)
                    {
                        row[encoding.IndicatorOffsets[c] + i] = 1;
                        continue;
                    }

                    row[column.Offset + i] = column.Kind == VaeColumnKind.Numeric
                        ? (float)(rng.NextDouble() * 4) - 2
                        : rng.Next(3) / 2f;
                }
            }
        }

        return tensor(values, [rows, encoding.InputWidth]);
    }

    private static float[] Floats(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    private sealed class Close(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
